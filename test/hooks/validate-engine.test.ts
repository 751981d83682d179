import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { docker, dockerOk, uniqueName } from '../harness/docker-cli.js';
import { startProxy } from '../harness/proxy.js';
import type { RunningServer } from '../../src/server/start-server.js';
import { violationEvents, type ViolationEvent } from '../../src/observability/violations.js';

/**
 * The engine-side `validate` hook in front of the real daemon: what a docker user or an SDK sees
 * when a request body breaks a schema, in each mode.
 */
type Proxy = RunningServer & { host: string };
const daemon = () => inject('dockerHost');
const image = () => inject('image');

/** A raw Engine API call over a unix socket, as an SDK would make it. */
function call(host: string, method: string, path: string, body?: string): Promise<{ status: number; json: unknown }> {
  const socketPath = host.replace(/^unix:\/\//, '');
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path, headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json: unknown = text;
        try {
          json = JSON.parse(text);
        } catch {
          /* keep the text */
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const volumeExists = async (name: string) => (await docker(['volume', 'inspect', name], { host: daemon() })).code === 0;

function collectViolations(): { events: ViolationEvent[]; stop(): void } {
  const events: ViolationEvent[] = [];
  const on = (e: ViolationEvent) => events.push(e);
  violationEvents.on('violation', on);
  return { events, stop: () => violationEvents.off('violation', on) };
}

describe('validate hook, enforce mode', () => {
  let proxy: Proxy;
  beforeAll(async () => {
    proxy = await startProxy({ validation: { engine: 'enforce', plugins: 'off' } });
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('lets docker volume create with driver options and labels through', async () => {
    const name = uniqueName('vgood');
    const out = await dockerOk(['volume', 'create', '-d', 'local', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=1m', '--label', 'team=a', name], { host: proxy.host });
    expect(out.trim()).toBe(name);
    expect(await volumeExists(name)).toBe(true);
    await dockerOk(['volume', 'rm', name], { host: daemon() });
  });

  it('answers a driver option that is not a string with 400, the pointer and the rule; the volume is never created', async () => {
    const name = uniqueName('vbad');
    const seen = collectViolations();
    const r = await call(proxy.host, 'POST', '/v1.41/volumes/create', JSON.stringify({ Name: name, DriverOpts: { a: 1 } }));
    seen.stop();
    expect(r).toEqual({ status: 400, json: { message: 'plugchain: VolumeCreate: /DriverOpts/a type: must be string' } });
    expect(await volumeExists(name)).toBe(false);
    expect(seen.events).toContainEqual({ side: 'engine', message: 'VolumeCreate.request', rule: 'type', pointer: '/DriverOpts/a' });
  });

  it('answers a name that is not a string with 400', async () => {
    const r = await call(proxy.host, 'POST', '/volumes/create', '{"Name": 5}');
    expect(r).toEqual({ status: 400, json: { message: 'plugchain: VolumeCreate: /Name type: must be string' } });
  });

  it('refuses a case-variant key that would smuggle a second name past the check', async () => {
    const good = uniqueName('vcase');
    const evil = uniqueName('vcase-evil');
    const r = await call(proxy.host, 'POST', '/volumes/create', JSON.stringify({ Name: good, name: evil }));
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ message: 'plugchain: VolumeCreate: /name key-case: "name" and "Name" differ only in case (dockerd reads them as one key)' });
    expect(await volumeExists(good)).toBe(false);
    expect(await volumeExists(evil)).toBe(false);
  });

  it('refuses bad mount driver options and bad addresses in container create, and the container is never created', async () => {
    const name = uniqueName('cbad');
    const r = await call(proxy.host, 'POST', `/containers/create?name=${name}`, JSON.stringify({
      Image: image(), Cmd: ['true'],
      HostConfig: { Mounts: [{ Type: 'volume', Source: uniqueName('m'), Target: '/d', VolumeOptions: { DriverConfig: { Name: 'local', Options: { size: 1 } } } }] },
    }));
    expect(r).toEqual({ status: 400, json: { message: 'plugchain: ContainerCreate: /HostConfig/Mounts/0/VolumeOptions/DriverConfig/Options/size type: must be string' } });
    const n = await call(proxy.host, 'POST', '/networks/create', JSON.stringify({ Name: uniqueName('nbad'), IPAM: { Config: [{ Subnet: '10.213.9.0/24', Gateway: '10.213.9.1/24' }] } }));
    expect(n.status).toBe(400);
    expect((n.json as { message: string }).message).toBe('plugchain: NetworkCreate: /IPAM/Config/0/Gateway format: must be a plain IP address without a prefix length');
    expect((await docker(['container', 'inspect', name], { host: daemon() })).code).not.toBe(0);
  });

  it('shows the rule in the docker CLI error', async () => {
    const r = await docker(['network', 'create', '--internal', '--subnet', '10.213.9.0/24', '--gateway', '10.213.9.1', '--aux-address', 'x=10.213.9.7/32', uniqueName('naux')], { host: proxy.host });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('plugchain: NetworkCreate: /IPAM/Config/0/AuxiliaryAddresses/x format: must be a plain IP address without a prefix length');
  });

  it('raises no false positives from the real CLI: docker run with -v, --mount, --volume-driver, --network, --ip and network connect/disconnect', async () => {
    const net = uniqueName('vnet');
    const vol = uniqueName('vvol');
    const mnt = uniqueName('vmnt');
    const name = uniqueName('vrun');
    const host = proxy.host;
    const seen = collectViolations();
    await dockerOk(['network', 'create', '--internal', '--subnet', '10.213.9.0/24', '--gateway', '10.213.9.1', net], { host });
    try {
      const out = await dockerOk(['run', '--name', name, '--network', net, '--ip', '10.213.9.50', '--network-alias', 'db',
        '-v', `${vol}:/data`, '--volume-driver', 'local', '-v', '/tmp:/host-tmp:ro',
        '--mount', `type=volume,src=${mnt},dst=/m,volume-driver=local,volume-opt=type=tmpfs,volume-opt=device=tmpfs`,
        '--mount', 'type=tmpfs,dst=/t,tmpfs-size=1000000',
        image(), 'sh', '-c', 'echo hi > /data/f && cat /data/f && ip -4 addr show eth0 | grep -o 10.213.9.50'], { host });
      expect(out).toBe('hi\n10.213.9.50\n');
      await dockerOk(['network', 'disconnect', net, name], { host });
      await dockerOk(['network', 'connect', '--ip', '10.213.9.51', '--alias', 'db2', net, name], { host });
      await dockerOk(['network', 'disconnect', '-f', net, name], { host });
      expect(await volumeExists(vol)).toBe(true);
      expect(await volumeExists(mnt)).toBe(true);
      expect(seen.events).toEqual([]);
    } finally {
      seen.stop();
      await docker(['rm', '-f', name], { host: daemon() });
      await docker(['volume', 'rm', vol, mnt], { host: daemon() });
      await docker(['network', 'rm', net], { host: daemon() });
    }
  });

  it('leaves an empty body to dockerd (nothing in it can slip past a check)', async () => {
    const r = await call(proxy.host, 'POST', '/volumes/create');
    expect(r.status).toBeGreaterThanOrEqual(200);
    expect(JSON.stringify(r.json)).not.toContain('plugchain:');
  });
});

describe('validate hook, warn and off modes', () => {
  let warn: Proxy;
  let off: Proxy;
  beforeAll(async () => {
    warn = await startProxy({ validation: { engine: 'warn', plugins: 'off' } });
    off = await startProxy({ validation: { engine: 'off', plugins: 'off' } });
  });
  afterAll(async () => {
    await warn?.close();
    await off?.close();
  });

  it('warn: forwards a violating request to dockerd and counts the violation', async () => {
    const name = uniqueName('vwarn');
    const seen = collectViolations();
    // dockerd reads "name" as Name, so the request works; the schema still names the rule.
    const r = await call(warn.host, 'POST', '/volumes/create', JSON.stringify({ name }));
    seen.stop();
    expect(r.status).toBe(201);
    expect((r.json as { Name: string }).Name).toBe(name);
    expect(await volumeExists(name)).toBe(true);
    expect(seen.events).toEqual([{ side: 'engine', message: 'VolumeCreate.request', rule: 'key-case', pointer: '/name' }]);
    await dockerOk(['volume', 'rm', name], { host: daemon() });
  });

  it('warn: a body dockerd itself refuses gets dockerd\'s own answer', async () => {
    const r = await call(warn.host, 'POST', '/volumes/create', JSON.stringify({ Name: uniqueName('vwarn'), DriverOpts: { a: 1 } }));
    expect(r.status).toBe(400);
    expect((r.json as { message: string }).message).not.toContain('plugchain:');
  });

  it('off: no check and no count', async () => {
    const name = uniqueName('voff');
    const seen = collectViolations();
    const r = await call(off.host, 'POST', '/volumes/create', JSON.stringify({ name }));
    seen.stop();
    expect(r.status).toBe(201);
    expect(seen.events).toEqual([]);
    await dockerOk(['volume', 'rm', name], { host: daemon() });
  });
});
