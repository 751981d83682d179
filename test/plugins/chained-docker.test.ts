import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ownDaemon } from '../harness/own-daemon.js';
import { docker, dockerOk, uniqueName } from '../harness/docker-cli.js';
import { cleanupWeaveNetwork } from '../../src/plugins/weave-network/cleanup.js';
import { startPluginProcess, type PluginProcess } from './plugin-process.js';

/** Both reference plugins on one container: `docker run --network X -v vol:/d --volume-driver Y`. */
const own = ownDaemon();
let host = '';
let image = '';
beforeAll(() => {
  host = own.dockerHost;
  image = own.image;
});
const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
const vdriver = `pccv${tag}`;
const ndriver = `pccn${tag}`;
const bridge = `pcc${tag}`.slice(0, 15);
const netns = `pcc-${tag}`;
const octet = 200 + (process.pid % 50);
let work = '';
let vol: PluginProcess | null = null;
let net: PluginProcess | null = null;
const netName = uniqueName('cn');
const volName = uniqueName('cv');
const ctr = uniqueName('cc');

beforeAll(async () => {
  work = mkdtempSync(join(inject('runDir'), 'chain-'));
  const store = join(work, 'store.json');
  vol = await startPluginProcess(['volume', '--host', 'a', '--data-dir', join(work, 'data'), '--store', store],
    join(own.pluginsDir, `${vdriver}.sock`), join(work, 'v.log'));
  net = await startPluginProcess(['network', '--bridge', bridge, '--netns', netns, '--store', store, '--host', 'a'],
    join(own.pluginsDir, `${ndriver}.sock`), join(work, 'n.log'));
});

afterAll(async () => {
  await docker(['rm', '-f', ctr], { host });
  await docker(['network', 'rm', netName], { host });
  await docker(['volume', 'rm', '-f', volName], { host });
  await vol?.stop();
  await net?.stop();
  await cleanupWeaveNetwork({ bridge, netns, store: join(work, 'store.json') });
  expect(existsSync(`/run/netns/${netns}`)).toBe(false);
});

describe('volume and network plugins on one container, sharing one store', () => {
  it('runs with its dataset and its address; stop releases both', async () => {
    await dockerOk(['network', 'create', '-d', ndriver, '--ipam-driver', ndriver, '--subnet', `10.213.${octet}.0/24`,
      '--gateway', `10.213.${octet}.1`, netName], { host });
    const out = await dockerOk(['run', '--name', ctr, '--network', netName, '--ip', `10.213.${octet}.7`, '-v', `${volName}:/data`,
      '--volume-driver', vdriver, image, 'sh', '-c', 'ip -4 -o addr show eth0 > /data/addr; cat /data/addr'], { host });
    expect(out).toContain(`10.213.${octet}.7/24`);
    expect(readFileSync(join(work, 'data', 'a', volName, 'addr'), 'utf8')).toContain(`10.213.${octet}.7/24`);
    // The container has exited: dockerd has sent Leave/DeleteEndpoint/ReleaseAddress and Unmount.
    const store = JSON.parse(readFileSync(join(work, 'store.json'), 'utf8')).entries as Record<string, unknown>;
    expect(Object.keys(store).filter((k) => k.startsWith('flocker/leases/'))).toEqual([]);
    expect(Object.keys(store).filter((k) => k.startsWith(`weave/${bridge}/endpoints/`))).toEqual([]);
  });
});
