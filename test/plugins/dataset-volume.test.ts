import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pluginCall } from '../../src/plugin-sdk/index.js';
import { FileStore } from '../../src/store/file-store.js';
import { startDatasetVolumePlugin, type RunningDatasetVolumePlugin } from '../../src/plugins/dataset-volume/start-dataset-volume.js';

/** Two lab "hosts", each with its own driver process-equivalent, sharing one store file and data root. */
let dir = '';
let dataDir = '';
let storePath = '';
let a: RunningDatasetVolumePlugin;
let b: RunningDatasetVolumePlugin;
const sockA = () => join(dir, 'a.sock');
const sockB = () => join(dir, 'b.sock');

const call = async (sock: string, method: string, body?: unknown) => pluginCall(sock, `VolumeDriver.${method}`, body);
const ok = async (sock: string, method: string, body?: unknown) => {
  const r = await call(sock, method, body);
  expect(r.status, `${method} ${JSON.stringify(body)} → ${r.raw}`).toBe(200);
  return r.body as Record<string, any>;
};
const fails = async (sock: string, method: string, body: unknown, pattern: RegExp) => {
  const r = await call(sock, method, body);
  expect(r.status, r.raw).toBe(500);
  expect((r.body as { Err: string }).Err).toMatch(pattern);
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pc-ds-'));
  dataDir = join(dir, 'data');
  storePath = join(dir, 'store.json');
  a = await startDatasetVolumePlugin({ socket: sockA(), host: 'a', dataDir, store: storePath });
  b = await startDatasetVolumePlugin({ socket: sockB(), host: 'b', dataDir, store: storePath, moveDelayMs: 300 });
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('dataset volume driver: protocol', () => {
  it('activates as a VolumeDriver with global scope', async () => {
    expect((await pluginCall(sockA(), 'Plugin.Activate')).body).toEqual({ Implements: ['VolumeDriver'] });
    expect(await ok(sockA(), 'Capabilities', {})).toEqual({ Capabilities: { Scope: 'global' } });
  });

  it('lists [] (never null) when empty, errors on Get of an unknown name (P7, P13)', async () => {
    expect(await ok(sockA(), 'List', {})).toEqual({ Volumes: [] });
    await fails(sockA(), 'Get', { Name: 'never-made' }, /no such dataset/);
    await fails(sockA(), 'Path', { Name: 'never-made' }, /no such dataset/);
    await fails(sockA(), 'Mount', { Name: 'never-made', ID: 'x' }, /no such dataset/);
  });

  it('creates idempotently, with Opts null or {}, and describes datasets on every host (P8, P9, P12)', async () => {
    await ok(sockA(), 'Create', { Name: 'd1', Opts: null });
    await ok(sockA(), 'Create', { Name: 'd1', Opts: {} });
    await ok(sockB(), 'Create', { Name: 'd1', Opts: { size: '1g' } }); // exists: success, owner unchanged
    const got = await ok(sockB(), 'Get', { Name: 'd1' });
    expect(got.Volume.Name).toBe('d1');
    expect(new Date(got.Volume.CreatedAt).toISOString()).toBe(got.Volume.CreatedAt);
    expect(got.Volume.Status.owner).toBe('a');
    expect(existsSync(join(dataDir, 'a', 'd1'))).toBe(true);
    expect(existsSync(join(dataDir, 'b', 'd1'))).toBe(false);
    const listed = await ok(sockB(), 'List', {});
    expect(listed.Volumes.map((v: { Name: string }) => v.Name)).toEqual(['d1']);
  });

  it('answers Path "" before Mount and the mountpoint after; refcounts per (Name, ID) occurrence (P11)', async () => {
    expect(await ok(sockA(), 'Path', { Name: 'd1' })).toEqual({ Mountpoint: '' });
    const m1 = await ok(sockA(), 'Mount', { Name: 'd1', ID: 'id1' });
    expect(m1.Mountpoint).toBe(join(dataDir, 'a', 'd1'));
    expect(await ok(sockA(), 'Path', { Name: 'd1' })).toEqual({ Mountpoint: m1.Mountpoint });
    expect((await ok(sockA(), 'Get', { Name: 'd1' })).Volume.Mountpoint).toBe(m1.Mountpoint);
    await ok(sockA(), 'Mount', { Name: 'd1', ID: 'id1' }); // docker cp: same ID again
    await ok(sockA(), 'Mount', { Name: 'd1', ID: 'id2' });
    await ok(sockA(), 'Unmount', { Name: 'd1', ID: 'id1' });
    await ok(sockA(), 'Unmount', { Name: 'd1', ID: 'id2' });
    expect((await ok(sockA(), 'Path', { Name: 'd1' })).Mountpoint).toBe(m1.Mountpoint); // one id1 still mounted
    await ok(sockA(), 'Unmount', { Name: 'd1', ID: 'id1' });
    expect(await ok(sockA(), 'Path', { Name: 'd1' })).toEqual({ Mountpoint: '' });
    await ok(sockA(), 'Unmount', { Name: 'd1', ID: 'never-mounted' }); // tolerant
  });

  it('refuses Mount and Remove on another host while the dataset is mounted (the lease)', async () => {
    await ok(sockA(), 'Mount', { Name: 'd1', ID: 'run1' });
    await fails(sockB(), 'Mount', { Name: 'd1', ID: 'x' }, /in use on host a/);
    await fails(sockB(), 'Remove', { Name: 'd1' }, /in use on host a/);
    await fails(sockA(), 'Remove', { Name: 'd1' }, /in use on host a/);
    await ok(sockA(), 'Unmount', { Name: 'd1', ID: 'run1' });
  });

  it('moves the data on Mount at a non-owner host: copy, switch owner, delete source', async () => {
    const mp = (await ok(sockA(), 'Mount', { Name: 'd1', ID: 'w' })).Mountpoint;
    writeFileSync(join(mp, 'f'), 'hello from a');
    await ok(sockA(), 'Unmount', { Name: 'd1', ID: 'w' });

    const started = Date.now();
    const moving = ok(sockB(), 'Mount', { Name: 'd1', ID: 'r' });
    await new Promise((r) => setTimeout(r, 100));
    // While the move runs, host b holds the lease: a cannot take the dataset back.
    await fails(sockA(), 'Mount', { Name: 'd1', ID: 'y' }, /in use on host b/);
    const mb = (await moving).Mountpoint;
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(mb).toBe(join(dataDir, 'b', 'd1'));
    expect(readFileSync(join(mb, 'f'), 'utf8')).toBe('hello from a');
    expect(existsSync(join(dataDir, 'a', 'd1'))).toBe(false);
    expect((await ok(sockA(), 'Get', { Name: 'd1' })).Volume.Status).toMatchObject({ owner: 'b', mountedOn: 'b' });
    await ok(sockB(), 'Unmount', { Name: 'd1', ID: 'r' });
  });

  it('gives the lease back when a move fails (dockerd sends no Unmount after a failed Mount)', async () => {
    await ok(sockB(), 'Create', { Name: 'd2' });
    rmSync(join(dataDir, 'b', 'd2'), { recursive: true });
    await fails(sockA(), 'Mount', { Name: 'd2', ID: 'z' }, /data is missing on owner host b/);
    const store = new FileStore(storePath);
    expect(await store.get('flocker/leases/d2')).toBeNull();
    expect((await store.get<{ owner: string }>('flocker/datasets/d2'))!.value.owner).toBe('b');
    expect(existsSync(join(dataDir, 'a', '.incoming-d2'))).toBe(false);
  });

  it('removes idempotently, from any host, deleting the owner\'s data (P12)', async () => {
    await ok(sockA(), 'Remove', { Name: 'd1' });
    expect(existsSync(join(dataDir, 'b', 'd1'))).toBe(false);
    await ok(sockA(), 'Remove', { Name: 'd1' });
    await ok(sockB(), 'Remove', { Name: 'd2' });
    await fails(sockA(), 'Get', { Name: 'd1' }, /no such dataset/);
    expect(await ok(sockB(), 'List', {})).toEqual({ Volumes: [] });
  });

  it('rejects names that are not one safe path component', async () => {
    await fails(sockA(), 'Create', { Name: '../escape' }, /invalid dataset name/);
    const r = await call(sockA(), 'Create', {});
    expect(r.status).toBe(400);
  });

  it('serialises concurrent Mounts of one dataset from the same host (one move, both counted)', async () => {
    await ok(sockA(), 'Create', { Name: 'd3' });
    writeFileSync(join(dataDir, 'a', 'd3', 'g'), 'x');
    const [m1, m2] = await Promise.all([ok(sockB(), 'Mount', { Name: 'd3', ID: 'p' }), ok(sockB(), 'Mount', { Name: 'd3', ID: 'q' })]);
    expect(m1.Mountpoint).toBe(m2.Mountpoint);
    expect(readFileSync(join(m1.Mountpoint, 'g'), 'utf8')).toBe('x');
    expect((await ok(sockB(), 'Get', { Name: 'd3' })).Volume.Status.activeMounts).toBe(2);
    await ok(sockB(), 'Unmount', { Name: 'd3', ID: 'p' });
    await ok(sockB(), 'Unmount', { Name: 'd3', ID: 'q' });
    await ok(sockB(), 'Remove', { Name: 'd3' });
  });
});
