import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { docker, dockerOk, uniqueName } from '../harness/docker-cli.js';
import { startPluginProcess, type PluginProcess } from '../plugins/plugin-process.js';
import { buildNodeRootfs } from './node-rootfs.js';

/**
 * plugin.json as a managed (v2) plugin: config.json = plugin.json, rootfs = this machine's Node
 * runtime plus the built app (production dependencies). Round trip through docker plugin
 * create/set/enable/disable/rm, in front of the reference volume plugin running as a legacy
 * plugin on the host, then in front of a plugin that answers wrongly.
 */
const plugin = `pcmanaged${process.pid}`;
let dir: string;
let upDir: string;
let dataDir: string;
let upstream: PluginProcess | null = null;
let broken: http.Server | null = null;
const daemon = () => inject('dockerHost');

beforeAll(() => {
  if (!existsSync(resolve('dist/cli/main.js'))) throw new Error('dist/ is missing: run npm run build');
  dir = mkdtempSync(join(inject('runDir'), 'mp-'));
  upDir = join(dir, 'up');
  dataDir = join(dir, 'data');
  mkdirSync(upDir);
  mkdirSync(dataDir);

  const pdir = join(dir, 'plugin');
  const root = join(pdir, 'rootfs');
  buildNodeRootfs(root, { npm: false });
  for (const d of ['run/docker/plugins', 'run/upstream', 'mnt/volumes']) mkdirSync(join(root, d), { recursive: true });
  const app = join(root, 'app');
  mkdirSync(app);
  for (const f of ['package.json', 'package-lock.json', 'bin', 'dist', 'schemas']) cpSync(resolve(f), join(app, f), { recursive: true, verbatimSymlinks: true });
  cpSync(resolve('node_modules'), join(app, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  execFileSync('npm', ['prune', '--omit=dev', '--offline', '--no-audit', '--no-fund'], { cwd: app, stdio: 'ignore' });
  copyFileSync(resolve('plugin.json'), join(pdir, 'config.json'));
});

afterAll(async () => {
  await docker(['plugin', 'disable', '-f', plugin], { host: daemon() });
  await docker(['plugin', 'rm', '-f', plugin], { host: daemon() });
  await upstream?.stop();
  broken?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const records = () => readFileSync(join(upDir, 'record.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { method: string; verdict: { response: unknown[] } });

describe('plugin.json as a managed plugin', () => {
  it('round-trips through create, set, enable, real volume traffic, disable and rm, and validates that traffic', { timeout: 240_000 }, async () => {
    const host = daemon();
    upstream = await startPluginProcess(['volume', '--data-dir', dataDir, '--store', join(dir, 'store.json'), '--host', 'a'], join(upDir, 'dataset.sock'), join(dir, 'upstream.log'));

    await dockerOk(['plugin', 'create', plugin, join(dir, 'plugin')], { host, timeoutMs: 120_000 });
    await dockerOk(['plugin', 'set', plugin,
      'UPSTREAM=unix:///run/upstream/dataset.sock', `UPSTREAM_DATA_DIR=${dataDir}`, 'RECORD=/run/upstream/record.ndjson', 'LOG_LEVEL=debug',
      `upstream.source=${upDir}`, `data.source=${dataDir}`], { host });
    const inspect = JSON.parse(await dockerOk(['plugin', 'inspect', plugin], { host }))[0];
    expect(inspect.Config.Interface.Types).toEqual(['docker.volumedriver/1.0']);
    expect(inspect.Settings.Env).toContain('MODE=enforce');
    await dockerOk(['plugin', 'enable', '--timeout', '60', plugin], { host, timeoutMs: 90_000 });

    const vol = uniqueName('mpvol');
    expect((await dockerOk(['volume', 'create', '-d', plugin, vol], { host })).trim()).toBe(vol);
    const out = await dockerOk(['run', '--rm', '--network', 'none', '-v', `${vol}:/data`, inject('image'), 'sh', '-c', 'echo kept > /data/f; cat /data/f'], { host });
    expect(out).toBe('kept\n');
    // The data went where the upstream keeps it on the host: the Mountpoint mapping and the
    // propagated mount worked.
    expect(readFileSync(join(dataDir, 'a', vol, 'f'), 'utf8')).toBe('kept\n');
    const inspected = JSON.parse(await dockerOk(['volume', 'inspect', vol], { host }))[0];
    expect(inspected.Driver).toBe(`${plugin}:latest`);
    await dockerOk(['volume', 'rm', vol], { host });

    // The shim checked and recorded each call dockerd made through it.
    const methods = records().map((r) => r.method);
    for (const m of ['VolumeDriver.Capabilities', 'VolumeDriver.Create', 'VolumeDriver.Mount', 'VolumeDriver.Unmount', 'VolumeDriver.Remove']) expect(methods).toContain(m);
    expect(records().every((r) => Array.isArray(r.verdict.response) && r.verdict.response.length === 0)).toBe(true);

    // Fronting an upstream that answers Create with an empty body: the rule reaches the user.
    broken = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        if (req.url === '/VolumeDriver.Create') return res.end();
        if (req.url === '/VolumeDriver.Capabilities') return res.end('{"Capabilities":{"Scope":"local"}}');
        if (req.url === '/VolumeDriver.Get') return res.end(JSON.stringify({ Err: `no such volume ${JSON.parse(raw || '{}').Name}` }));
        res.end('{}');
      });
    });
    await new Promise<void>((r) => broken!.listen(join(upDir, 'broken.sock'), () => r()));
    await dockerOk(['plugin', 'disable', plugin], { host });
    await dockerOk(['plugin', 'set', plugin, 'UPSTREAM=unix:///run/upstream/broken.sock'], { host });
    await dockerOk(['plugin', 'enable', '--timeout', '60', plugin], { host, timeoutMs: 90_000 });
    const bad = await docker(['volume', 'create', '-d', plugin, uniqueName('mpbad')], { host });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('broke the VolumeDriver.Create contract');
    expect(bad.stderr).toContain('empty body');

    await dockerOk(['plugin', 'disable', plugin], { host });
    await dockerOk(['plugin', 'rm', plugin], { host });
    expect((await docker(['plugin', 'inspect', plugin], { host })).code).not.toBe(0);
  });
});
