import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ALL_CHECKS } from '../../src/conformance/catalog.js';
import { startFixturePlugin, type FixturePlugin } from '../fixtures/plugins/fixture-plugin.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'plugchain.js');

/** Runs the built CLI without blocking this process, which serves the fixture plugins. */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, 'conform', ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

let dir: string;
let good: FixturePlugin;
let broken: FixturePlugin;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'commands', 'conform.js'))) throw new Error('dist is not built: run `npx tsc -p .` (npm test does it in pretest)');
  dir = mkdtempSync(join(tmpdir(), 'pcc-'));
  good = await startFixturePlugin({ dir, socketName: 'goodfix.sock' });
  broken = await startFixturePlugin({ dir, socketName: 'brokenfix.sock', defects: ['endpoint-echo-address', 'created-at-empty'] });
});

afterAll(async () => {
  await good?.close();
  await broken?.close();
  rmSync(dir, { recursive: true, force: true });
});

const byName = (name: string) => ['--plugin', name, '--plugins-dir', dir, '--spec-dir', join(dir, 'no-specs')];

describe('plugchain conform', () => {
  test('resolves a plugin by name through --plugins-dir and exits 0 when everything passes', async () => {
    const r = await cli(byName('goodfix'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`found via ${join(dir, 'goodfix.sock')}`);
    expect(r.stdout).toMatch(/checks: \d+ passed, 0 failed/);
  });

  test('exits 1 on failures and writes the JSON report to --output', async () => {
    const out = join(dir, 'report.json');
    // --no-schema: the project's schemas would add schema.* failures for CreatedAt "" as well.
    const r = await cli([...byName('brokenfix'), '--format', 'json', '--output', out, '--no-schema']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ 2 failed, \d+ skipped; json report in /);
    const report = JSON.parse(readFileSync(out, 'utf8')) as { results: Array<{ id: string; status: string }> };
    expect(report.results.filter((x) => x.status === 'fail').map((x) => x.id).sort()).toEqual(['network.endpoint.given-address', 'volume.created-at']);
  });

  test('--format tap and --only narrow the run', async () => {
    const r = await cli(['--plugin', `unix://${broken.socketPath}`, '--format', 'tap', '--only', 'network.endpoint']);
    expect(r.code).toBe(1);
    expect(r.stdout.startsWith('TAP version 13\n1..')).toBe(true);
    expect(r.stdout).toMatch(/^not ok \d+ network\.endpoint\.given-address /m);
    expect(r.stdout).not.toContain('volume.created-at');
  });

  test('--type with --format junit', async () => {
    const r = await cli(['--plugin', good.socketPath, '--type', 'volume', '--format', 'junit']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('<testsuite name="volume"');
    expect(r.stdout).not.toContain('<testsuite name="network"');
  });

  test('--list names every check with its rule and source', async () => {
    const r = await cli(['--list']);
    expect(r.code).toBe(0);
    for (const c of ALL_CHECKS) expect(r.stdout).toContain(`${c.id}  [`);
    expect(r.stdout).toContain('source: plugin-protocols.md §3.2');
    const json = await cli(['--list', '--format', 'json', '--type', 'ipam']);
    const ids = (JSON.parse(json.stdout) as Array<{ id: string; rule: string; source: string }>).map((x) => x.id);
    expect(ids).toContain('ipam.pool.dynamic');
    expect(ids.some((id) => id.startsWith('volume.'))).toBe(false);
  });

  test('exits 2 when the plugin cannot be found or the flags are wrong', async () => {
    const missing = await cli(byName('nosuchplugin'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/plugin "nosuchplugin" not found/);
    expect((await cli(['--plugin', good.socketPath, '--format', 'xml'])).code).toBe(2);
    expect((await cli([])).code).toBe(2);
  });

  test('--help explains discovery and exit status', async () => {
    const r = await cli(['--help']);
    expect(r.stdout).toContain('--plugins-dir');
    expect(r.stdout).toContain('Exit status');
  });
});
