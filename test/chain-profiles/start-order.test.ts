import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerOk } from '../harness/docker-cli.js';
import { ChainLab, calls, isPrepareId, volumeOf, type TimedExchange } from './chain-lab.js';

/**
 * The start order of a container that uses a chained volume (dataset driver, Flocker-style) and a
 * chained network (weave-style), proven from the traffic the plugin shims recorded.
 *
 * Baseline, straight against this dockerd 20.10: CreateEndpoint and Join come first, the Mount
 * that moves the data after them — the container's address is live while its data is elsewhere.
 * Through plugchain: the Mount that moves the data (plugchain's own ID) has completed before
 * dockerd even starts on the network; dockerd's own Mount still follows Join on this daemon, but
 * finds the data here.
 *
 * The volume goes to a path the image does not have (/chained): for a path the image has, dockerd
 * 20.10 also mounts at create to copy the image's files in (populateVolume), which would move the
 * data at create time and hide the start order.
 */
const MOVE_DELAY_MS = 1_200;
const lab = new ChainLab({ moveDelayMs: MOVE_DELAY_MS, prepareTimeoutMs: 20_000, subnetSlot: 1 });
const image = () => inject('image');

beforeAll(async () => {
  await lab.start();
});

afterAll(async () => {
  await lab.close();
});

function onlyOne(xs: TimedExchange[], what: string): TimedExchange {
  expect(xs, what).toHaveLength(1);
  return xs[0]!;
}

describe('chained volume + network start order on dockerd 20.10', () => {
  it('baseline without plugchain in front: Join before the Mount that moves the data', async () => {
    const ds = await lab.datasetOnB('data from b\n');
    const name = lab.container();
    const mark = lab.mark();
    const out = await dockerOk(['run', '--name', name, '--network', lab.net, '-v', `${ds}:/chained`, '--volume-driver', lab.vdriver,
      image(), 'cat', '/chained/f'], { host: lab.daemon });
    expect(out).toBe('data from b\n');
    const traffic = await lab.since(mark);
    const join = onlyOne(calls(traffic, 'NetworkDriver.Join'), 'one Join');
    const create = onlyOne(calls(traffic, 'NetworkDriver.CreateEndpoint'), 'one CreateEndpoint');
    const mount = onlyOne(calls(traffic, 'VolumeDriver.Mount', (e) => volumeOf(e) === ds), 'one Mount (dockerd\'s)');
    expect(isPrepareId(mount)).toBe(false);
    expect(create.end).toBeLessThanOrEqual(join.start);
    // dockerd 20.10: the endpoint is up and joined before the volume is mounted (and moved).
    expect(join.end).toBeLessThanOrEqual(mount.start);
    expect(mount.durationMs).toBeGreaterThanOrEqual(MOVE_DELAY_MS);
    expect(Date.parse(lab.dataset(ds).movedAt!)).toBeGreaterThan(join.end);
  });

  it('docker run through plugchain: the chained Mount completes before CreateEndpoint and Join', async () => {
    const ds = await lab.datasetOnB('moved first\n');
    const name = lab.container();
    const mark = lab.mark();
    const out = await dockerOk(['run', '--name', name, '--network', lab.net, '-v', `${ds}:/chained`, '--volume-driver', lab.vdriver,
      image(), 'cat', '/chained/f'], { host: lab.proxy.host });
    expect(out).toBe('moved first\n');
    const traffic = await lab.since(mark);
    const join = onlyOne(calls(traffic, 'NetworkDriver.Join'), 'one Join');
    const create = onlyOne(calls(traffic, 'NetworkDriver.CreateEndpoint'), 'one CreateEndpoint');
    const prepare = onlyOne(calls(traffic, 'VolumeDriver.Mount', (e) => volumeOf(e) === ds && isPrepareId(e)), 'one preparation Mount');
    const dockerMount = onlyOne(calls(traffic, 'VolumeDriver.Mount', (e) => volumeOf(e) === ds && !isPrepareId(e)), 'dockerd\'s own Mount');
    // Every chained Mount that could move data has completed before the network is touched.
    expect(prepare.end).toBeLessThanOrEqual(create.start);
    expect(prepare.end).toBeLessThanOrEqual(join.start);
    expect(prepare.durationMs).toBeGreaterThanOrEqual(MOVE_DELAY_MS); // it did the move
    expect(Date.parse(lab.dataset(ds).movedAt!)).toBeLessThanOrEqual(create.start);
    expect(lab.dataset(ds).owner).toBe('a');
    // This daemon still mounts after Join, but the data is already here: no move, no wait.
    expect(dockerMount.start).toBeGreaterThanOrEqual(join.end);
    expect(dockerMount.durationMs).toBeLessThan(MOVE_DELAY_MS);
    // plugchain's own mount is released once dockerd holds its own (after start returned).
    const release = onlyOne(calls(traffic, 'VolumeDriver.Unmount', (e) => volumeOf(e) === ds && isPrepareId(e)), 'one release');
    expect((release.request as { ID: string }).ID).toBe((prepare.request as { ID: string }).ID);
    expect(release.start).toBeGreaterThanOrEqual(dockerMount.end);
    // The container has exited: no mount is left, plugchain's included.
    expect(lab.lease(ds)).toBeUndefined();
    // Progress and outcome are in plugchain's log.
    const msgs = lab.logs.filter((l) => l.volume === ds).map((l) => l.msg);
    expect(msgs).toEqual(expect.arrayContaining([
      'chain: preparing volume on this host before start', 'chain: volume ready on this host', 'chain: preparation mount released',
    ]));
  });

  it('docker restart and docker start through plugchain: the dataset comes back before the network', async () => {
    const ds = await lab.datasetOnB('restart me\n');
    const name = lab.container();
    await dockerOk(['run', '--name', name, '--network', lab.net, '-v', `${ds}:/chained`, '--volume-driver', lab.vdriver,
      image(), 'cat', '/chained/f'], { host: lab.proxy.host });
    // Meanwhile host b takes the dataset (a move to b) and lets it go again.
    await lab.mountOnB(ds, 'b-visit');
    await lab.unmountOnB(ds, 'b-visit');
    expect(lab.dataset(ds).owner).toBe('b');
    const mark = lab.mark();
    await dockerOk(['restart', name], { host: lab.proxy.host });
    const traffic = await lab.since(mark);
    const join = onlyOne(calls(traffic, 'NetworkDriver.Join'), 'one Join');
    const prepare = onlyOne(calls(traffic, 'VolumeDriver.Mount', (e) => volumeOf(e) === ds && isPrepareId(e)), 'one preparation Mount');
    expect(prepare.end).toBeLessThanOrEqual(join.start);
    expect(prepare.durationMs).toBeGreaterThanOrEqual(MOVE_DELAY_MS);
    expect(lab.dataset(ds).owner).toBe('a');
    expect(calls(traffic, 'VolumeDriver.Unmount', (e) => isPrepareId(e))).toHaveLength(1);
    expect((await dockerOk(['logs', name], { host: lab.daemon }))).toBe('restart me\nrestart me\n');
    // And a plain docker start, after another visit of the dataset to host b.
    await lab.mountOnB(ds, 'b-visit-2');
    await lab.unmountOnB(ds, 'b-visit-2');
    const mark2 = lab.mark();
    await dockerOk(['start', '--attach', name], { host: lab.proxy.host });
    const traffic2 = await lab.since(mark2);
    const join2 = onlyOne(calls(traffic2, 'NetworkDriver.Join'), 'one Join on start');
    const prepare2 = onlyOne(calls(traffic2, 'VolumeDriver.Mount', (e) => volumeOf(e) === ds && isPrepareId(e)), 'one preparation Mount on start');
    expect(prepare2.end).toBeLessThanOrEqual(join2.start);
    expect(prepare2.durationMs).toBeGreaterThanOrEqual(MOVE_DELAY_MS);
  });

  it('a container without chained volumes starts untouched (no preparation)', async () => {
    const name = lab.container();
    const mark = lab.mark();
    await dockerOk(['run', '--name', name, '--network', lab.net, image(), 'true'], { host: lab.proxy.host });
    const traffic = await lab.since(mark);
    expect(calls(traffic, 'VolumeDriver.Mount')).toHaveLength(0);
    expect(calls(traffic, 'NetworkDriver.Join')).toHaveLength(1);
    // (What the failure tests count: a live endpoint is one veth end on the lab's bridge.)
    const running = lab.container();
    await dockerOk(['run', '-d', '--name', running, '--network', lab.net, image(), 'sleep', '30'], { host: lab.proxy.host });
    expect(lab.veths()).toHaveLength(1);
    await dockerOk(['rm', '-f', running], { host: lab.proxy.host });
    expect(lab.veths()).toHaveLength(0);
  });
});
