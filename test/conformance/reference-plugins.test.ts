import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPluginProcess, type PluginProcess } from '../plugins/plugin-process.js';
import { cleanupWeaveNetwork } from '../../src/plugins/weave-network/cleanup.js';

/**
 * The reference plugins are what the project certifies itself against: `plugchain conform` must
 * pass them completely, with the schema checks on.
 */
const ROOT = resolve(import.meta.dirname, '..', '..');
const tag = `${process.pid % 100000}`;
const bridge = `pccr${tag}`.slice(0, 15);
const netns = `plugchain-cr-${tag}`;
let dir: string;
let volume: PluginProcess;
let network: PluginProcess;

function conform(socket: string): Promise<{ code: number; report: { results: Array<{ id: string; status: string }> }; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [join(ROOT, 'bin', 'plugchain.js'), 'conform', '--plugin', `unix://${socket}`, '--format', 'json'],
      { cwd: ROOT, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? -1) : 0;
        done({ code, report: JSON.parse(stdout), stderr });
      });
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pccr-'));
  volume = await startPluginProcess(['volume', '--data-dir', join(dir, 'data'), '--store', join(dir, 'store.json'), '--host', 'a'],
    join(dir, 'vol.sock'), join(dir, 'vol.log'));
  network = await startPluginProcess(['network', '--store', join(dir, 'store.json'), '--bridge', bridge, '--netns', netns, '--pool-range', '10.213.128.0/20'],
    join(dir, 'net.sock'), join(dir, 'net.log'));
});

afterAll(async () => {
  await volume?.stop();
  await network?.stop();
  await cleanupWeaveNetwork({ bridge, netns, store: join(dir, 'store.json') });
  rmSync(dir, { recursive: true, force: true });
});

describe('plugchain conform certifies the reference plugins', () => {
  it('the dataset volume driver passes every volume check', async () => {
    const r = await conform(join(dir, 'vol.sock'));
    const failed = r.report.results.filter((x) => x.status === 'fail').map((x) => x.id);
    expect(failed).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.report.results.filter((x) => x.id.startsWith('volume.') && x.status === 'pass').length).toBeGreaterThanOrEqual(12);
  });

  it('the network + IPAM driver passes every network and IPAM check', async () => {
    const r = await conform(join(dir, 'net.sock'));
    const failed = r.report.results.filter((x) => x.status === 'fail').map((x) => x.id);
    expect(failed).toEqual([]);
    expect(r.code).toBe(0);
    const passed = (prefix: string) => r.report.results.filter((x) => x.id.startsWith(prefix) && x.status === 'pass').length;
    expect(passed('network.')).toBeGreaterThanOrEqual(9);
    expect(passed('ipam.')).toBeGreaterThanOrEqual(8);
  });
});
