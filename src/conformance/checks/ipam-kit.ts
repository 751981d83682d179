import type { CheckContext } from '../types.js';
import { cidrAddress, isCidr } from '../wire-formats.js';

export interface PoolHandle {
  readonly id: string;
  /** The Pool the plugin answered (CIDR). */
  readonly pool: string;
  /** Plain IPs handed out and not yet released. */
  readonly addresses: string[];
}

/**
 * RequestPool as dockerd's remote IPAM wrapper does it: GetDefaultAddressSpaces first, then
 * RequestPool in the local default space. Registers ReleaseAddress for every address, then ReleasePool.
 */
export async function requestPool(ctx: CheckContext, pool: string): Promise<PoolHandle> {
  const spaces = await ctx.ok('IpamDriver.GetDefaultAddressSpaces');
  const space = typeof spaces['LocalDefaultAddressSpace'] === 'string' ? spaces['LocalDefaultAddressSpace'] : '';
  const body = await ctx.ok('IpamDriver.RequestPool', { AddressSpace: space, Pool: pool, SubPool: '', Options: {}, V6: false });
  const id = body['PoolID'];
  const answered = body['Pool'];
  if (typeof id !== 'string' || id === '') ctx.fail(`RequestPool answered PoolID ${JSON.stringify(id)}`, 'a non-empty PoolID');
  if (!isCidr(answered)) ctx.fail(`RequestPool answered Pool ${JSON.stringify(answered)}; dockerd parses it with netip.ParsePrefix`, 'a CIDR, e.g. 10.0.0.0/24');
  const handle: PoolHandle = { id, pool: answered, addresses: [] };
  ctx.defer(`release pool ${id}`, async () => {
    for (const a of [...handle.addresses]) await releaseAddress(ctx, handle, a);
    await ctx.ok('IpamDriver.ReleasePool', { PoolID: id });
  });
  return handle;
}

/** RequestAddress; answers the CIDR. `address` is a plain IP or "" (P16). */
export async function requestAddress(ctx: CheckContext, pool: PoolHandle, address = ''): Promise<string> {
  const body = await ctx.ok('IpamDriver.RequestAddress', { PoolID: pool.id, Address: address, Options: { 'com.docker.network.endpoint.name': ctx.name('ep') } });
  const got = body['Address'];
  if (!isCidr(got)) ctx.fail(`RequestAddress answered Address ${JSON.stringify(got)}`, 'a CIDR with prefix, e.g. 10.0.0.2/24 (an empty or plain IP fails in dockerd)');
  pool.addresses.push(cidrAddress(got));
  return got;
}

export async function releaseAddress(ctx: CheckContext, pool: PoolHandle, ip: string): Promise<void> {
  await ctx.ok('IpamDriver.ReleaseAddress', { PoolID: pool.id, Address: ip });
  const i = pool.addresses.indexOf(ip);
  if (i >= 0) pool.addresses.splice(i, 1);
}
