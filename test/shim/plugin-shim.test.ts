import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ownDaemon } from '../harness/own-daemon.js';
import http from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { docker, dockerOk, uniqueName } from '../harness/docker-cli.js';
import { startProxy } from '../harness/proxy.js';
import type { RunningServer } from '../../src/server/start-server.js';
import type { Exchange } from '../../src/shim/exchange.js';

/**
 * A small volume plugin, real process-wide socket, written here so the test controls exactly what
 * it answers. `breakCreatedAt` makes Get answer `CreatedAt: ""` (pitfall P8).
 */
function startVolumePlugin(socketPath: string, dataDir: string) {
  const volumes = new Map<string, { mounts: number }>();
  const state = { breakCreatedAt: false, emptyCreateBody: false, relativeMountpoint: false };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = raw ? JSON.parse(raw) : {};
      const send = (o: unknown) => res.end(JSON.stringify(o));
      const vol = (name: string) => ({ Name: name, Mountpoint: join(dataDir, name), CreatedAt: state.breakCreatedAt ? '' : '2026-11-25T10:00:00Z' });
      switch (req.url) {
        case '/Plugin.Activate': return send({ Implements: ['VolumeDriver'] });
        case '/VolumeDriver.Capabilities': return send({ Capabilities: { Scope: 'local' } });
        case '/VolumeDriver.Create':
          volumes.set(body.Name, { mounts: 0 });
          mkdirSync(join(dataDir, body.Name), { recursive: true });
          return state.emptyCreateBody ? res.end() : send({});
        case '/VolumeDriver.Get':
          return send(volumes.has(body.Name) ? { Volume: vol(body.Name) } : { Err: `no such volume ${body.Name}` });
        case '/VolumeDriver.List': return send({ Volumes: [...volumes.keys()].map(vol) });
        case '/VolumeDriver.Path': return send({ Mountpoint: join(dataDir, body.Name) });
        case '/VolumeDriver.Mount': return send({ Mountpoint: state.relativeMountpoint ? `data/${body.Name}` : join(dataDir, body.Name) });
        case '/VolumeDriver.Unmount': return send({});
        case '/VolumeDriver.Remove': volumes.delete(body.Name); return send({});
        default: res.statusCode = 404; return send({ Err: 'not implemented' });
      }
    });
  });
  return new Promise<{ state: typeof state; close: () => void }>((resolve) =>
    server.listen(socketPath, () => resolve({ state, close: () => server.close() })));
}

const own = ownDaemon();
let proxy: RunningServer & { host: string };
let plugin: Awaited<ReturnType<typeof startVolumePlugin>>;
let dir: string;
let recordFile: string;
const alias = `pcshim${process.pid}`;
const specAlias = `pcspec${process.pid}`;

beforeAll(async () => {
  dir = mkdtempSync(join(inject('runDir'), 'shim-'));
  recordFile = join(dir, 'exchanges.ndjson');
  plugin = await startVolumePlugin(join(dir, 'real.sock'), join(dir, 'data'));
  proxy = await startProxy({
    pluginDir: own.pluginsDir,
    upstream: own.dockerHost,
    specDir: own.specsDir,
    plugins: [
      { name: 'real-volume', address: `unix://${join(dir, 'real.sock')}`, alias, record: recordFile },
      // The same plugin once more, behind a shim on TCP that dockerd finds through a spec file.
      { name: 'real-volume-tcp', address: `unix://${join(dir, 'real.sock')}`, alias: specAlias, listen: 'tcp://127.0.0.1:0' },
    ],
    validation: { engine: 'enforce', plugins: 'enforce' },
  });
});

afterAll(async () => {
  await proxy?.close();
  plugin?.close();
  rmSync(dir, { recursive: true, force: true });
});

const records = (): Exchange[] => readFileSync(recordFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

describe('plugin shim in front of a real plugin, used by the real dockerd', () => {
  it('dockerd discovers the shim by its alias and volumes work end to end', async () => {
    const host = proxy.host;
    const vol = uniqueName('shimvol');
    expect((await dockerOk(['volume', 'create', '-d', alias, vol], { host })).trim()).toBe(vol);
    const out = await dockerOk(['run', '--rm', '-v', `${vol}:/data`, own.image, 'sh', '-c', 'echo kept > /data/f; cat /data/f'], { host });
    expect(out).toBe('kept\n');
    expect(readFileSync(join(dir, 'data', vol, 'f'), 'utf8')).toBe('kept\n');
    await dockerOk(['volume', 'rm', vol], { host });

    const methods = records().map((r) => r.method);
    for (const m of ['Plugin.Activate', 'VolumeDriver.Create', 'VolumeDriver.Mount', 'VolumeDriver.Unmount', 'VolumeDriver.Remove']) {
      expect(methods).toContain(m);
    }
    const mount = records().find((r) => r.method === 'VolumeDriver.Mount')!;
    expect(mount.request).toMatchObject({ Name: vol });
    expect((mount.request as { ID: string }).ID).toMatch(/^[0-9a-f]{64}$/);
    expect(mount.verdict.response).toEqual([]);
  });

  it('a plugin that breaks the contract makes dockerd fail with plugchain\'s rule text', async () => {
    const host = proxy.host;
    const vol = uniqueName('shimbad');
    await dockerOk(['volume', 'create', '-d', alias, vol], { host });
    plugin.state.relativeMountpoint = true;
    try {
      const r = await docker(['run', '--rm', '-v', `${vol}:/data`, own.image, 'true'], { host });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`plugchain: plugin ${alias} broke the VolumeDriver.Mount contract: /Mountpoint`);
      const bad = records().filter((x) => x.method === 'VolumeDriver.Mount' && x.verdict.enforced);
      expect(bad.length).toBe(1);
      expect(bad[0]!.response.body).toEqual({ Mountpoint: `data/${vol}` });
    } finally {
      plugin.state.relativeMountpoint = false;
    }
    // dockerd reads a failed Get as "no such volume" (P7), so the CreatedAt rule shows in the log
    // and the record rather than in the CLI; the record proves the shim caught it.
    plugin.state.breakCreatedAt = true;
    try {
      await docker(['volume', 'inspect', vol], { host });
      const bad = records().filter((x) => x.method === 'VolumeDriver.Get' && x.verdict.enforced);
      expect(bad.length).toBeGreaterThan(0);
      expect(bad[0]!.verdict.response[0]!.pointer).toBe('/Volume/CreatedAt');
    } finally {
      plugin.state.breakCreatedAt = false;
    }
    plugin.state.emptyCreateBody = true;
    try {
      const r = await docker(['volume', 'create', '-d', alias, uniqueName('shimempty')], { host });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('VolumeDriver.Create contract: / body: HTTP 200 with an empty body');
    } finally {
      plugin.state.emptyCreateBody = false;
    }
    await docker(['volume', 'rm', '-f', vol], { host });
  });

  it('a shim with its own listen address is found through the spec file it writes (TCP here)', async () => {
    const host = proxy.host;
    const spec = readFileSync(join(own.specsDir, `${specAlias}.spec`), 'utf8');
    expect(spec).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+\n$/);
    const vol = uniqueName('shimspec');
    expect((await dockerOk(['volume', 'create', '-d', specAlias, vol], { host })).trim()).toBe(vol);
    expect(await dockerOk(['run', '--rm', '-v', `${vol}:/data`, own.image, 'sh', '-c', 'echo via-spec > /data/f; cat /data/f'], { host })).toBe('via-spec\n');
    await dockerOk(['volume', 'rm', vol], { host });
  });
});
