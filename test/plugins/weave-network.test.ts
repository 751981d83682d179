import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pluginCall } from '../../src/plugin-sdk/index.js';
import { FileStore } from '../../src/store/file-store.js';
import { startWeaveNetworkPlugin, type RunningWeaveNetworkPlugin } from '../../src/plugins/weave-network/start-weave-network.js';
import { cleanupWeaveNetwork } from '../../src/plugins/weave-network/cleanup.js';

/**
 * Two lab "hosts" (two plugin instances on one bridge, one store), driven over their sockets the
 * way dockerd drives them. The bridge and namespace are real and unique to this run.
 */
const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
const bridge = `pcb${tag}`.slice(0, 15);
const netns = `pct-${tag}`;
let dir = '';
let storePath = '';
let a: RunningWeaveNetworkPlugin;
let b: RunningWeaveNetworkPlugin;
const sa = () => join(dir, 'a.sock');
const sb = () => join(dir, 'b.sock');

async function ok(sock: string, method: string, body?: unknown): Promise<Record<string, any>> {
  const r = await pluginCall(sock, method, body);
  expect(r.status, `${method} ${JSON.stringify(body)} → ${r.raw}`).toBe(200);
  return r.body as Record<string, any>;
}
async function fails(sock: string, method: string, body: unknown, pattern: RegExp): Promise<void> {
  const r = await pluginCall(sock, method, body);
  expect(r.status, r.raw).toBe(500);
  expect((r.body as { Err: string }).Err).toMatch(pattern);
}
const ipIn = (...args: string[]) => execFileSync('ip', ['-n', netns, ...args], { encoding: 'utf8' });
const linkExists = (name: string, ns?: string) => {
  try {
    execFileSync('ip', [...(ns ? ['-n', ns] : []), 'link', 'show', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pc-wv-'));
  storePath = join(dir, 'store.json');
  a = await startWeaveNetworkPlugin({ socket: sa(), bridge, netns, store: storePath, host: 'a', poolRange: '10.213.0.0/22' });
  b = await startWeaveNetworkPlugin({ socket: sb(), bridge, netns, store: storePath, host: 'b', poolRange: '10.213.0.0/22' });
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await cleanupWeaveNetwork({ bridge, netns, store: storePath });
  rmSync(dir, { recursive: true, force: true });
  expect(existsSync(`/run/netns/${netns}`)).toBe(false);
});

describe('weave IPAM', () => {
  it('activates as NetworkDriver and IpamDriver in one process', async () => {
    expect((await pluginCall(sa(), 'Plugin.Activate')).body).toEqual({ Implements: ['NetworkDriver', 'IpamDriver'] });
    expect(await ok(sa(), 'IpamDriver.GetCapabilities')).toEqual({ RequiresMACAddress: false, RequiresRequestReplay: false });
    const spaces = await ok(sa(), 'IpamDriver.GetDefaultAddressSpaces');
    expect(spaces.LocalDefaultAddressSpace).toBeTruthy();
    expect(spaces.GlobalDefaultAddressSpace).toBeTruthy();
  });

  it('hands out a different free pool on each dynamic request, never the same one forever (P20), and runs out cleanly', async () => {
    const ids: string[] = [];
    const pools: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await ok(sa(), 'IpamDriver.RequestPool', { AddressSpace: 'PlugchainLocal', Pool: '', SubPool: '', Options: null, V6: false });
      ids.push(r.PoolID);
      pools.push(r.Pool);
    }
    expect(pools).toEqual(['10.213.0.0/24', '10.213.1.0/24', '10.213.2.0/24', '10.213.3.0/24']);
    await fails(sa(), 'IpamDriver.RequestPool', { AddressSpace: 'PlugchainLocal', Pool: '', V6: false }, /no free \/24 pool/);
    await ok(sa(), 'IpamDriver.ReleasePool', { PoolID: ids[1] });
    await ok(sa(), 'IpamDriver.ReleasePool', { PoolID: ids[1] }); // idempotent
    expect((await ok(sb(), 'IpamDriver.RequestPool', { AddressSpace: 'PlugchainLocal', Pool: '' })).Pool).toBe('10.213.1.0/24');
    await fails(sa(), 'IpamDriver.RequestPool', { AddressSpace: 'x', Pool: '', V6: true }, /IPv6/);
    for (const id of ids) await ok(sa(), 'IpamDriver.ReleasePool', { PoolID: id });
    const store = new FileStore(storePath);
    const left = (await store.get<Record<string, unknown>>(`weave/${bridge}/ipam/pools`))!.value;
    expect(Object.keys(left)).toEqual(['10.213.1.0/24']); // the one b took
  });

  it('shares a given pool and its gateway between hosts; rejects overlapping pools', async () => {
    const pa = await ok(sa(), 'IpamDriver.RequestPool', { AddressSpace: 'PlugchainLocal', Pool: '10.214.7.0/24', V6: false });
    const pb = await ok(sb(), 'IpamDriver.RequestPool', { AddressSpace: 'PlugchainLocal', Pool: '10.214.7.0/24', V6: false });
    expect(pa.Pool).toBe('10.214.7.0/24');
    expect(pa.PoolID).not.toBe(pb.PoolID);
    await fails(sa(), 'IpamDriver.RequestPool', { AddressSpace: 'PlugchainLocal', Pool: '10.214.0.0/16' }, /overlaps/);
    const gw = { RequestAddressType: 'com.docker.network.gateway' };
    expect((await ok(sa(), 'IpamDriver.RequestAddress', { PoolID: pa.PoolID, Address: '10.214.7.1', Options: gw })).Address).toBe('10.214.7.1/24');
    expect((await ok(sb(), 'IpamDriver.RequestAddress', { PoolID: pb.PoolID, Address: '10.214.7.1', Options: gw })).Address).toBe('10.214.7.1/24');
    // Host a removes its network: the gateway stays for b's network.
    await ok(sa(), 'IpamDriver.ReleaseAddress', { PoolID: pa.PoolID, Address: '10.214.7.1' });
    await ok(sa(), 'IpamDriver.ReleasePool', { PoolID: pa.PoolID });
    await fails(sb(), 'IpamDriver.RequestAddress', { PoolID: pb.PoolID, Address: '10.214.7.1', Options: null }, /already in use/);
    await ok(sb(), 'IpamDriver.ReleasePool', { PoolID: pb.PoolID });
  });

  it('allocates given and chosen addresses segment-wide, gives a name its address back, and reports exhaustion', async () => {
    const p = await ok(sa(), 'IpamDriver.RequestPool', { AddressSpace: 'PlugchainLocal', Pool: '10.214.9.0/29', V6: false });
    const gw = await ok(sa(), 'IpamDriver.RequestAddress', { PoolID: p.PoolID, Address: '', Options: { RequestAddressType: 'com.docker.network.gateway' } });
    expect(gw.Address).toBe('10.214.9.1/29');
    const name = (n: string) => ({ 'com.docker.network.endpoint.name': n });
    const web = await ok(sa(), 'IpamDriver.RequestAddress', { PoolID: p.PoolID, Address: '', Options: name('web') });
    expect(web.Address).toBe('10.214.9.2/29');
    const fixed = await ok(sa(), 'IpamDriver.RequestAddress', { PoolID: p.PoolID, Address: '10.214.9.5', Options: name('db') });
    expect(fixed.Address).toBe('10.214.9.5/29');
    await fails(sb(), 'IpamDriver.RequestAddress', { PoolID: p.PoolID, Address: '10.214.9.5', Options: name('other') }, /already in use by db/);
    await fails(sa(), 'IpamDriver.RequestAddress', { PoolID: p.PoolID, Address: '10.214.10.5', Options: null }, /not a host address/);
    // web stops on a, is started on b without --ip: it gets 10.214.9.2 back although .2 is lowest for anyone.
    await ok(sa(), 'IpamDriver.ReleaseAddress', { PoolID: p.PoolID, Address: '10.214.9.2' });
    await ok(sa(), 'IpamDriver.ReleaseAddress', { PoolID: p.PoolID, Address: '10.214.9.2' }); // idempotent
    const other = await ok(sb(), 'IpamDriver.RequestAddress', { PoolID: p.PoolID, Address: '', Options: name('x1') });
    expect(other.Address).toBe('10.214.9.3/29'); // .2 is still claimed by web
    const back = await ok(sb(), 'IpamDriver.RequestAddress', { PoolID: p.PoolID, Address: '', Options: name('web') });
    expect(back.Address).toBe('10.214.9.2/29');
    // .4 and .6 are left; then the pool is exhausted.
    await ok(sb(), 'IpamDriver.RequestAddress', { PoolID: p.PoolID, Address: '', Options: name('x2') });
    await ok(sb(), 'IpamDriver.RequestAddress', { PoolID: p.PoolID, Address: '', Options: null });
    await fails(sb(), 'IpamDriver.RequestAddress', { PoolID: p.PoolID, Address: '', Options: name('x3') }, /no available IPv4 addresses/);
    await fails(sb(), 'IpamDriver.RequestAddress', { PoolID: 'nonsense', Address: '' }, /unknown pool/);
    // Full pool: a released address is the only choice and is handed out again.
    await ok(sb(), 'IpamDriver.ReleaseAddress', { PoolID: p.PoolID, Address: '10.214.9.4' });
    expect((await ok(sb(), 'IpamDriver.RequestAddress', { PoolID: p.PoolID, Address: '', Options: null })).Address).toBe('10.214.9.4/29');
    await ok(sa(), 'IpamDriver.ReleasePool', { PoolID: p.PoolID });
  });

  it('without endpoint names (dockerd 20.10 sends Options: null) prefers never-used addresses, then the longest released', async () => {
    const p = await ok(sa(), 'IpamDriver.RequestPool', { AddressSpace: 'PlugchainLocal', Pool: '10.214.11.0/29', V6: false });
    const req = () => ok(sa(), 'IpamDriver.RequestAddress', { PoolID: p.PoolID, Address: '', Options: null }).then((r) => r.Address);
    expect([await req(), await req()]).toEqual(['10.214.11.1/29', '10.214.11.2/29']);
    await ok(sa(), 'IpamDriver.ReleaseAddress', { PoolID: p.PoolID, Address: '10.214.11.2' });
    await new Promise((r) => setTimeout(r, 5));
    await ok(sa(), 'IpamDriver.ReleaseAddress', { PoolID: p.PoolID, Address: '10.214.11.1' });
    expect([await req(), await req(), await req(), await req()]).toEqual(['10.214.11.3/29', '10.214.11.4/29', '10.214.11.5/29', '10.214.11.6/29']);
    expect(await req()).toBe('10.214.11.2/29'); // released first
    expect(await req()).toBe('10.214.11.1/29');
    await ok(sa(), 'IpamDriver.ReleasePool', { PoolID: p.PoolID });
  });
});

describe('weave network driver (real bridge in its own namespace)', () => {
  const net1 = 'n'.repeat(1) + '1'.padStart(63, '0');
  const ep1 = 'e1'.padEnd(64, 'a');
  const ep2 = 'e2'.padEnd(64, 'b');

  it('reports local data scope and global connectivity', async () => {
    expect(await ok(sa(), 'NetworkDriver.GetCapabilities')).toEqual({ Scope: 'local', ConnectivityScope: 'global' });
  });

  it('creates the bridge in its namespace with the first network', async () => {
    await ok(sa(), 'NetworkDriver.CreateNetwork', {
      NetworkID: net1, Options: { 'com.docker.network.generic': {} },
      IPv4Data: [{ AddressSpace: 'PlugchainLocal', Pool: '10.214.20.0/24', Gateway: '10.214.20.1/24' }], IPv6Data: [],
    });
    expect(linkExists(bridge, netns)).toBe(true);
    expect(linkExists(bridge)).toBe(false); // not in the root namespace
    await fails(sa(), 'NetworkDriver.CreateNetwork', { NetworkID: 'v6', IPv4Data: [], IPv6Data: [{ AddressSpace: '', Pool: 'fd00::/64' }] }, /IPv6/);
  });

  it('creates a veth per endpoint without echoing the address (P15), MAC derived from the IP', async () => {
    const r = await ok(sa(), 'NetworkDriver.CreateEndpoint', {
      NetworkID: net1, EndpointID: ep1, Interface: { Address: '10.214.20.5/24', AddressIPv6: '', MacAddress: '' }, Options: {},
    });
    expect(r).toEqual({ Interface: { MacAddress: '02:70:0a:d6:14:05' } });
    const src = `pcc${ep1.slice(0, 12)}`;
    expect(linkExists(src)).toBe(true); // left in the root namespace for dockerd to move
    expect(execFileSync('ip', ['link', 'show', src], { encoding: 'utf8' })).toContain('02:70:0a:d6:14:05');
    expect(ipIn('link', 'show', `pch${ep1.slice(0, 12)}`)).toContain(`master ${bridge}`);
    const given = await ok(sb(), 'NetworkDriver.CreateEndpoint', {
      NetworkID: net1, EndpointID: ep2, Interface: { Address: '10.214.20.6/24', AddressIPv6: '', MacAddress: '02:00:00:00:00:66' }, Options: null,
    });
    expect(given).toEqual({ Interface: null });
    await fails(sa(), 'NetworkDriver.CreateEndpoint', { NetworkID: 'nope', EndpointID: 'x'.repeat(64), Interface: {} }, /no such network/);
  });

  it('joins with SrcName/DstPrefix and a plain-IP gateway inside the subnet (P16)', async () => {
    const j = await ok(sa(), 'NetworkDriver.Join', { NetworkID: net1, EndpointID: ep1, SandboxKey: '/var/run/docker/netns/abc', Options: {} });
    expect(j).toEqual({ InterfaceName: { SrcName: `pcc${ep1.slice(0, 12)}`, DstPrefix: 'eth' }, Gateway: '10.214.20.1' });
    expect(await ok(sa(), 'NetworkDriver.EndpointOperInfo', { NetworkID: net1, EndpointID: ep1 })).toMatchObject({ Value: { bridge } });
    await fails(sa(), 'NetworkDriver.Join', { NetworkID: net1, EndpointID: 'missing', SandboxKey: '' }, /no such endpoint/);
  });

  it('answers 404 for the optional external-connectivity methods (P18)', async () => {
    const r = await pluginCall(sa(), 'NetworkDriver.ProgramExternalConnectivity', { NetworkID: net1, EndpointID: ep1, Options: {} });
    expect(r.status).toBe(404);
  });

  it('leaves, deletes endpoints and networks idempotently (P17), the last network removes the bridge', async () => {
    for (let i = 0; i < 2; i++) {
      await ok(sa(), 'NetworkDriver.Leave', { NetworkID: net1, EndpointID: ep1 });
      await ok(sa(), 'NetworkDriver.Leave', { NetworkID: net1, EndpointID: 'never-joined' });
      await ok(sa(), 'NetworkDriver.DeleteEndpoint', { NetworkID: net1, EndpointID: ep1 });
    }
    expect(linkExists(`pcc${ep1.slice(0, 12)}`)).toBe(false);
    // A second host's network on the same bridge keeps the bridge alive.
    await ok(sb(), 'NetworkDriver.CreateNetwork', { NetworkID: 'n2', IPv4Data: [{ AddressSpace: '', Pool: '10.214.20.0/24', Gateway: '10.214.20.1/24' }], IPv6Data: [] });
    await ok(sa(), 'NetworkDriver.DeleteNetwork', { NetworkID: net1 }); // also drops ep2, which was left behind
    expect(linkExists(`pcc${ep2.slice(0, 12)}`)).toBe(false);
    expect(linkExists(bridge, netns)).toBe(true);
    await ok(sb(), 'NetworkDriver.DeleteNetwork', { NetworkID: 'n2' });
    await ok(sb(), 'NetworkDriver.DeleteNetwork', { NetworkID: 'n2' });
    expect(linkExists(bridge, netns)).toBe(false);
  });

  it('keeps networks and endpoints across a plugin restart (P19)', async () => {
    await ok(sa(), 'NetworkDriver.CreateNetwork', { NetworkID: 'n3', IPv4Data: [{ AddressSpace: '', Pool: '10.214.30.0/24', Gateway: '10.214.30.1/24' }], IPv6Data: [] });
    await ok(sa(), 'NetworkDriver.CreateEndpoint', { NetworkID: 'n3', EndpointID: 'e3'.padEnd(64, 'c'), Interface: { Address: '10.214.30.9/24' } });
    await a.close();
    a = await startWeaveNetworkPlugin({ socket: sa(), bridge, netns, store: storePath, host: 'a' });
    const j = await ok(sa(), 'NetworkDriver.Join', { NetworkID: 'n3', EndpointID: 'e3'.padEnd(64, 'c'), SandboxKey: '' });
    expect(j.Gateway).toBe('10.214.30.1');
    // cleanup (afterAll) removes this veth, the bridge and the namespace by the recorded names.
    const report = await cleanupWeaveNetwork({ bridge, netns, store: new FileStore(storePath), forgetState: false });
    expect(report.veths).toEqual([`pcc${'e3'.padEnd(12, 'c')}`]);
    expect(report.bridgeRemoved).toBe(true);
    expect(report.netnsRemoved).toBe(true);
    expect(existsSync(`/run/netns/${netns}`)).toBe(false);
  });
});
