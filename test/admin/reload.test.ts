import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { docker, dockerOk, uniqueName } from '../harness/docker-cli.js';
import { httpCall, metricValue, scrape, waitFor } from './admin-http.js';
import { METRIC_NAMES as M } from '../../src/admin/metrics.js';

/**
 * `plugchain serve --config` as a real process: SIGHUP with a good file swaps the engine chain for
 * new requests while a `docker logs -f` stream stays open; SIGHUP with a bad file changes nothing.
 */
let dir: string;
let cfgPath: string;
let child: ChildProcess;
let stderr = '';
let host: string;
const admin = () => `unix://${join(dir, 'admin.sock')}`;

function config(overrides: Record<string, unknown>): Record<string, unknown> {
  return {
    listen: [`unix://${join(dir, 'p.sock')}`],
    upstream: inject('dockerHost'),
    stateDir: dir,
    logLevel: 'info',
    admin: admin(),
    validation: { engine: 'off', plugins: 'off' },
    ...overrides,
  };
}

async function hup(expectText: string): Promise<void> {
  const mark = stderr.length;
  child.kill('SIGHUP');
  await waitFor(`"${expectText}" in the log`, async () => stderr.slice(mark).includes(expectText));
}

beforeAll(async () => {
  if (!existsSync(resolve('dist/cli/main.js'))) throw new Error('dist/ is missing: run npm run build');
  dir = mkdtempSync(join(inject('runDir'), 'hup-'));
  cfgPath = join(dir, 'plugchain.yaml');
  writeFileSync(cfgPath, stringify(config({})));
  child = spawn(process.execPath, [resolve('bin/plugchain.js'), 'serve', '--config', cfgPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  host = await waitFor('export DOCKER_HOST', async () => /export DOCKER_HOST=(\S+)/.exec(stdout)?.[1], 20_000);
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('SIGHUP reload of a running plugchain serve', () => {
  it('applies a good config to new requests while a logs -f stream stays open, and keeps the old one on a bad config', async () => {
    const name = uniqueName('hup');
    const daemon = inject('dockerHost');
    await dockerOk(['run', '-d', '--network', 'none', '--name', name, inject('image'), 'sh', '-c', 'i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done'], { host });
    let logs = '';
    const follower = spawn('docker', ['logs', '-f', name], { env: { ...process.env, DOCKER_HOST: host, DOCKER_CONTEXT: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    follower.stdout!.on('data', (c: Buffer) => (logs += c.toString()));
    try {
      // validation off: a lower-case key reaches dockerd, which takes it.
      const v1 = uniqueName('hupv');
      const off = await httpCall(host, 'POST', '/volumes/create', JSON.stringify({ name: v1 }));
      expect(off.status).toBe(201);
      await waitFor('the logs stream', async () => logs.includes('tick'));

      // Good file: enforce. New requests are refused with the rule; the stream keeps flowing.
      writeFileSync(cfgPath, stringify(config({ validation: { engine: 'enforce', plugins: 'off' }, logLevel: 'debug' })));
      await hup('config reloaded');
      const enforced = await httpCall(host, 'POST', '/volumes/create', JSON.stringify({ name: uniqueName('hupv') }));
      expect(enforced.status).toBe(400);
      expect((enforced.json as { message: string }).message).toMatch(/^plugchain: VolumeCreate: \/name key-case/);
      const seenAtReload = logs.length;
      await waitFor('more ticks after the reload', async () => logs.length > seenAtReload + 20);
      expect(follower.exitCode).toBeNull();

      // A change that needs a restart is reported, not applied.
      writeFileSync(cfgPath, stringify(config({ validation: { engine: 'enforce', plugins: 'off' }, listen: [`unix://${join(dir, 'other.sock')}`] })));
      await hup('need a restart');
      expect(existsSync(join(dir, 'other.sock'))).toBe(false);
      expect((await dockerOk(['version', '--format', '{{.Server.Version}}'], { host })).trim()).not.toBe('');

      // Bad file: refused as a whole; the running config (enforce) stays; the proxy keeps serving.
      writeFileSync(cfgPath, stringify(config({ validation: { engine: 'strict', plugins: 'off' } })));
      await hup('config reload failed');
      expect(stderr).toContain('/validation/engine');
      const still = await httpCall(host, 'POST', '/volumes/create', JSON.stringify({ name: uniqueName('hupv') }));
      expect(still.status).toBe(400);
      writeFileSync(cfgPath, 'listen: [unclosed');
      await hup('config reload failed');
      expect((await dockerOk(['version', '--format', '{{.Server.Version}}'], { host })).trim()).not.toBe('');
      const seenAtBad = logs.length;
      await waitFor('ticks after the failed reloads', async () => logs.length > seenAtBad + 20);
      expect(follower.exitCode).toBeNull();

      const t = await scrape(admin());
      expect(metricValue(t, M.reloads, { result: 'applied' })).toBe(2);
      expect(metricValue(t, M.reloads, { result: 'rejected' })).toBe(2);
      expect(child.exitCode).toBeNull();
      await docker(['volume', 'rm', v1], { host: daemon });
    } finally {
      follower.kill('SIGKILL');
      await docker(['rm', '-f', name], { host: daemon });
    }
  });
});
