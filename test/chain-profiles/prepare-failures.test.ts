import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { docker, dockerOk } from '../harness/docker-cli.js';
import { ChainLab, calls, isPrepareId, volumeOf } from './chain-lab.js';

/**
 * A chained volume that cannot be prepared: the start is never forwarded, so dockerd never
 * creates a network endpoint (no CreateEndpoint, no Join, no veth, nothing in the driver's store),
 * and the client gets the driver's reason.
 */
const PREPARE_TIMEOUT_MS = 2_500;
// One volume driver whose moves outlast the deadline: every volume driver a test registers stays in
// dockerd's driver cache after the test, and each dead one slows lookups of unknown volume names.
const MOVE_DELAY_MS = 6_000;
const lab = new ChainLab({ moveDelayMs: MOVE_DELAY_MS, prepareTimeoutMs: PREPARE_TIMEOUT_MS, subnetSlot: 2 });
const image = () => inject('image');

beforeAll(async () => {
  await lab.start();
});

afterAll(async () => {
  await lab.close();
});

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

const endpointIdOf = async (name: string, net: string) =>
  (await dockerOk(['inspect', '--format', `{{(index .NetworkSettings.Networks "${net}").EndpointID}}`, name], { host: lab.daemon })).trim();

describe('a chained volume that cannot be prepared', () => {
  it('a failing Mount (dataset in use on host b): docker run fails with the driver\'s reason, no endpoint', async () => {
    const ds = await lab.datasetOnB('held by b\n');
    await lab.mountOnB(ds, 'b-holds');
    const name = lab.container();
    const mark = lab.mark();
    const r = await docker(['run', '--name', name, '--network', lab.net, '-v', `${ds}:/chained`, '--volume-driver', lab.vdriver,
      image(), 'true'], { host: lab.proxy.host });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`plugchain: prepare volume ${ds} on ${lab.vdriver}: dataset ${ds} is in use on host b`);
    const traffic = await lab.since(mark);
    expect(calls(traffic, 'VolumeDriver.Mount', (e) => isPrepareId(e))).toHaveLength(1);
    expect(calls(traffic, 'NetworkDriver.CreateEndpoint')).toHaveLength(0);
    expect(calls(traffic, 'NetworkDriver.Join')).toHaveLength(0);
    expect(calls(traffic, 'IpamDriver.RequestAddress')).toHaveLength(0);
    expect(lab.endpoints()).toEqual([]);
    expect(lab.veths()).toEqual([]);
    expect(await endpointIdOf(name, lab.net)).toBe('');
    expect(lab.dataset(ds).owner).toBe('b');
    expect(lab.lease(ds)).toMatchObject({ host: 'b', mounts: { 'b-holds': 1 } });
    await lab.unmountOnB(ds, 'b-holds');
  });

  it('the Engine API answer is Docker-style: 500 and {"message"}', async () => {
    const ds = await lab.datasetOnB('held again\n');
    await lab.mountOnB(ds, 'b-holds-2');
    const name = lab.container();
    await dockerOk(['create', '--name', name, '--network', lab.net, '--mount', `type=volume,src=${ds},dst=/chained,volume-driver=${lab.vdriver}`,
      image(), 'true'], { host: lab.proxy.host });
    const { default: http } = await import('node:http');
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ socketPath: lab.proxy.host.replace('unix://', ''), method: 'POST', path: `/v1.41/containers/${name}/start` }, (r) => {
        let body = '';
        r.on('data', (c) => (body += c));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(res.status).toBe(500);
    expect(JSON.parse(res.body)).toEqual({
      message: `plugchain: prepare volume ${ds} on ${lab.vdriver}: dataset ${ds} is in use on host b (1 active mount(s)); unmount it there first`,
    });
    expect(await endpointIdOf(name, lab.net)).toBe('');
    await lab.unmountOnB(ds, 'b-holds-2');
  });

  it('a Mount slower than prepareTimeoutMs: 504 after the deadline, progress logged, no endpoint, the mount given back later', async () => {
    const ds = await lab.datasetOnB('slow\n');
    const name = lab.container();
    const mark = lab.mark();
    const started = Date.now();
    const r = await docker(['run', '--name', name, '--network', lab.net, '-v', `${ds}:/chained`, '--volume-driver', lab.vdriver,
      image(), 'true'], { host: lab.proxy.host });
    const took = Date.now() - started;
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`plugchain: prepare volume ${ds} on ${lab.vdriver}: no answer within ${PREPARE_TIMEOUT_MS} ms`);
    expect(took).toBeGreaterThanOrEqual(PREPARE_TIMEOUT_MS);
    expect(took).toBeLessThan(MOVE_DELAY_MS);
    const progress = lab.logs.filter((l) => l.volume === ds && l.msg === 'chain: still preparing volume (the driver may be moving its data)');
    expect(progress.length).toBeGreaterThanOrEqual(2);
    // The move goes on in the driver; plugchain's Unmount waits for it and releases the lease.
    expect(await until(() => lab.dataset(ds).owner === 'a' && lab.lease(ds) === undefined, 15_000)).toBe(true);
    const traffic = await lab.since(mark);
    expect(calls(traffic, 'VolumeDriver.Unmount', (e) => isPrepareId(e) && volumeOf(e) === ds)).toHaveLength(1);
    expect(calls(traffic, 'NetworkDriver.CreateEndpoint')).toHaveLength(0);
    expect(calls(traffic, 'NetworkDriver.Join')).toHaveLength(0);
    expect(lab.endpoints()).toEqual([]);
    expect(lab.veths()).toEqual([]);
    expect(await endpointIdOf(name, lab.net)).toBe('');
  });
});
