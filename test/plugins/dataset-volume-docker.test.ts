import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ownDaemon } from '../harness/own-daemon.js';
import { docker, dockerOk, uniqueName } from '../harness/docker-cli.js';
import { pluginCall } from '../../src/plugin-sdk/index.js';
import { startPluginProcess, type PluginProcess } from './plugin-process.js';

/**
 * The dataset volume driver as a real plugin process under the private test dockerd (legacy
 * discovery through the daemon's own /run/docker/plugins). A second driver process plays lab host
 * "b" on the same store and data root, talking to its socket directly.
 */
const own = ownDaemon();
let host = '';
let image = '';
beforeAll(() => {
  host = own.dockerHost;
  image = own.image;
});
const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-5)}`;
const driver = `pcds${tag}`;
let work = '';
let dataDir = '';
let a: PluginProcess | null = null;
let b: PluginProcess | null = null;
const volumes: string[] = [];
const containers: string[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(inject('runDir'), 'dsv-'));
  dataDir = join(work, 'data');
  const common = ['--data-dir', dataDir, '--store', join(work, 'store.json')];
  a = await startPluginProcess(['volume', '--host', 'a', ...common], join(own.pluginsDir, `${driver}.sock`), join(work, 'a.log'));
  // Host b's socket is outside the daemon's plugin directory: dockerd never sees it.
  b = await startPluginProcess(['volume', '--host', 'b', '--move-delay-ms', '200', ...common], join(work, 'b.sock'), join(work, 'b.log'));
});

afterAll(async () => {
  if (containers.length) await docker(['rm', '-f', ...containers], { host });
  for (const v of volumes) await docker(['volume', 'rm', '-f', v], { host });
  const codes = [await a?.stop(), await b?.stop()];
  expect(existsSync(join(own.pluginsDir, `${driver}.sock`))).toBe(false); // SIGTERM removed the socket
  expect(codes).toEqual([0, 0]);
});

describe('dataset volume driver under the real dockerd', () => {
  it('docker volume create / run -v / inspect / rm go through the plugin and the data lands on disk', async () => {
    const vol = uniqueName('ds');
    volumes.push(vol);
    await dockerOk(['volume', 'create', '-d', driver, vol], { host });
    const inspect = JSON.parse(await dockerOk(['volume', 'inspect', vol], { host }))[0];
    expect(inspect).toMatchObject({ Name: vol, Driver: driver, Scope: 'global' });
    expect(inspect.Status).toMatchObject({ owner: 'a' });

    await dockerOk(['run', '--rm', '-v', `${vol}:/data`, '--volume-driver', driver, image, 'sh', '-c', 'echo hi > /data/f'], { host });
    expect(readFileSync(join(dataDir, 'a', vol, 'f'), 'utf8')).toBe('hi\n');

    const ls = await dockerOk(['volume', 'ls', '--format', '{{.Driver}} {{.Name}}'], { host });
    expect(ls).toContain(`${driver} ${vol}`);

    await dockerOk(['volume', 'rm', vol], { host });
    expect(existsSync(join(dataDir, 'a', vol))).toBe(false);
    expect((await pluginCall(a!.socket, 'VolumeDriver.List', {})).body).toEqual({ Volumes: [] });
  });

  it('a volume created implicitly by docker run -v (Opts null) works and keeps its data between containers', async () => {
    const vol = uniqueName('dsi');
    volumes.push(vol);
    await dockerOk(['run', '--rm', '-v', `${vol}:/data`, '--volume-driver', driver, image, 'sh', '-c', 'echo one > /data/g'], { host });
    const out = await dockerOk(['run', '--rm', '-v', `${vol}:/data`, '--volume-driver', driver, image, 'cat', '/data/g'], { host });
    expect(out).toBe('one\n');
  });

  it('docker volume prune on this daemon (20.10) leaves datasets alone', async () => {
    const vol = uniqueName('dsp');
    volumes.push(vol);
    await dockerOk(['volume', 'create', '-d', driver, vol], { host });
    await dockerOk(['volume', 'prune', '-f'], { host });
    expect(existsSync(join(dataDir, 'a', vol))).toBe(true);
    expect((await pluginCall(a!.socket, 'VolumeDriver.Get', { Name: vol })).status).toBe(200);
  });

  it('while a container on host a uses the dataset, host b is refused; after it stops, b moves the data', async () => {
    const vol = uniqueName('dsm');
    const ctr = uniqueName('dsm-c');
    volumes.push(vol);
    containers.push(ctr);
    await dockerOk(['volume', 'create', '-d', driver, vol], { host });
    await dockerOk(['run', '-d', '--name', ctr, '-v', `${vol}:/data`, '--volume-driver', driver, image,
      'sh', '-c', 'echo moved-data > /data/h && sleep 300'], { host });
    // dockerd's Mount holds the lease for host a.
    await waitFor(async () => existsSync(join(dataDir, 'a', vol, 'h')));
    const refused = await pluginCall(b!.socket, 'VolumeDriver.Mount', { Name: vol, ID: 'b-1' });
    expect(refused.status).toBe(500);
    expect(refused.body).toMatchObject({ Err: expect.stringMatching(/in use on host a/) });
    const rmRefused = await docker(['volume', 'rm', vol], { host });
    expect(rmRefused.code).not.toBe(0); // dockerd: volume in use

    await dockerOk(['rm', '-f', ctr], { host }); // dockerd sends Unmount: the lease is released
    const moved = await pluginCall(b!.socket, 'VolumeDriver.Mount', { Name: vol, ID: 'b-1' });
    expect(moved.status, moved.raw).toBe(200);
    expect(readFileSync(join((moved.body as { Mountpoint: string }).Mountpoint, 'h'), 'utf8')).toBe('moved-data\n');
    expect(existsSync(join(dataDir, 'a', vol))).toBe(false);
    // Now host a's daemon is refused while b holds it, with the plugin's message.
    const r = await docker(['run', '--rm', '-v', `${vol}:/data`, '--volume-driver', driver, image, 'true'], { host });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/in use on host b/);
    await pluginCall(b!.socket, 'VolumeDriver.Unmount', { Name: vol, ID: 'b-1' });
    // And a's daemon pulls it back on its next Mount.
    const back = await dockerOk(['run', '--rm', '-v', `${vol}:/data`, '--volume-driver', driver, image, 'cat', '/data/h'], { host });
    expect(back).toBe('moved-data\n');
    expect(existsSync(join(dataDir, 'b', vol))).toBe(false);
  });
});

async function waitFor(cond: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
