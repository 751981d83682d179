import { readAnswer } from '../answer-rules.js';
import type { Check, CheckContext } from '../types.js';
import { cidrAddress, cidrsOverlap, ipv4Range, ipv4ToNumber } from '../wire-formats.js';
import { defineCheck, DIGEST } from './define-check.js';
import { requestAddress, requestPool, releaseAddress } from './ipam-kit.js';
import { randomSubnetBase } from './network-kit.js';

const IPAM = 'ipam' as const;

function inPool(pool: string, cidr: string): boolean {
  const r = ipv4Range(pool);
  if (!r) return true;
  const n = ipv4ToNumber(cidrAddress(cidr));
  return n >= r[0] && n <= r[1];
}

const capabilities = defineCheck({
  id: 'ipam.capabilities',
  family: IPAM,
  title: 'GetCapabilities answers booleans (or 404)',
  rule: 'IpamDriver.GetCapabilities (empty body) is optional: it answers {"RequiresMACAddress": bool, "RequiresRequestReplay": bool} or HTTP 404',
  source: `${DIGEST} §5 table / moby daemon/libnetwork/ipams/remote/remote.go Register; libnetwork docs/ipam.md`,
  async run(ctx: CheckContext) {
    const ex = await ctx.call('IpamDriver.GetCapabilities');
    if (ex.status === 404) return ctx.note('404: registered without capabilities');
    const a = readAnswer(ex);
    if (a.kind !== 'success') ctx.fail(`GetCapabilities answered ${a.kind === 'error' ? a.text : a.problem}; dockerd registers the driver without capabilities`, 'HTTP 200 with the capability booleans, or 404');
    for (const k of ['RequiresMACAddress', 'RequiresRequestReplay']) {
      const v = a.body[k];
      if (v !== undefined && typeof v !== 'boolean') ctx.fail(`${k} is ${JSON.stringify(v)}`, 'a boolean or absent');
    }
  },
});

const spaces = defineCheck({
  id: 'ipam.default-address-spaces',
  family: IPAM,
  title: 'GetDefaultAddressSpaces answers both spaces',
  rule: 'GetDefaultAddressSpaces (empty body) answers non-empty strings LocalDefaultAddressSpace and GlobalDefaultAddressSpace; dockerd calls it on every network create and before each RequestPool',
  source: `${DIGEST} §5 / moby daemon/libnetwork/ipams/remote/remote.go; network.go deriveAddressSpace`,
  async run(ctx: CheckContext) {
    const body = await ctx.ok('IpamDriver.GetDefaultAddressSpaces');
    for (const k of ['LocalDefaultAddressSpace', 'GlobalDefaultAddressSpace']) {
      if (typeof body[k] !== 'string' || body[k] === '') ctx.fail(`${k} is ${JSON.stringify(body[k])}`, 'a non-empty string');
    }
  },
});

const poolGiven = defineCheck({
  id: 'ipam.pool.given',
  family: IPAM,
  title: 'RequestPool of a given subnet answers that subnet',
  rule: 'RequestPool with Pool set (docker network create --subnet) answers a non-empty PoolID and that same Pool as CIDR',
  source: `${DIGEST} §5 RequestPool / moby daemon/libnetwork/ipams/remote/remote.go RequestPool (netip.ParsePrefix) / P16`,
  async run(ctx: CheckContext) {
    const want = `${randomSubnetBase()}0/24`;
    const pool = await requestPool(ctx, want);
    if (pool.pool !== want) ctx.fail(`RequestPool(${want}) answered Pool ${pool.pool}`, `Pool ${want}`);
  },
});

const poolDynamic = defineCheck({
  id: 'ipam.pool.dynamic',
  family: IPAM,
  title: 'Two dynamic RequestPools answer different subnets',
  rule: 'RequestPool with Pool "" while an earlier dynamic pool is still held answers a CIDR that does not overlap it: dockerd keeps the lease and asks again when a pool overlaps host networks, so a plugin that returns the same pool forever makes it loop',
  source: `${DIGEST} §5 "Overlap loop" / moby daemon/libnetwork/ipams/remote/remote.go; libnetwork issues #1386, #1465; moby issue #42216 / P20`,
  async run(ctx: CheckContext) {
    const first = await requestPool(ctx, '');
    const second = await requestPool(ctx, '');
    if (cidrsOverlap(first.pool, second.pool)) ctx.fail(`the second dynamic pool ${second.pool} overlaps the first ${first.pool} (still held)`, 'a different, non-overlapping pool');
  },
});

const addressGiven = defineCheck({
  id: 'ipam.address.given',
  family: IPAM,
  title: 'RequestAddress of a given IP answers it as CIDR',
  rule: 'RequestAddress with Address set to a plain IP (docker run --ip) answers that IP as CIDR with the pool prefix',
  source: `${DIGEST} §5 RequestAddress / moby daemon/libnetwork/ipams/remote/remote.go (ParseCIDR); libnetwork PR #1360 / P16`,
  async run(ctx: CheckContext) {
    const base = randomSubnetBase();
    const pool = await requestPool(ctx, `${base}0/24`);
    const want = `${base}10`;
    const got = await requestAddress(ctx, pool, want);
    if (cidrAddress(got) !== want) ctx.fail(`RequestAddress(${want}) answered ${got}`, `${want}/24`);
    if (!got.endsWith('/24')) ctx.note(`answered prefix ${got.split('/')[1]}, the pool's is 24`);
  },
});

const addressChosen = defineCheck({
  id: 'ipam.address.chosen',
  family: IPAM,
  title: 'RequestAddress without an IP answers distinct CIDRs in the pool',
  rule: 'RequestAddress with Address "" answers a CIDR inside the pool; two requests answer two different addresses',
  source: `${DIGEST} §5 RequestAddress, "Endpoint addresses" / moby daemon/libnetwork/endpoint.go assignAddressVersion / P16`,
  async run(ctx: CheckContext) {
    const pool = await requestPool(ctx, `${randomSubnetBase()}0/24`);
    const a = await requestAddress(ctx, pool);
    const b = await requestAddress(ctx, pool);
    for (const x of [a, b]) if (!inPool(pool.pool, x)) ctx.fail(`address ${x} lies outside pool ${pool.pool}`, `an address inside ${pool.pool}`);
    if (cidrAddress(a) === cidrAddress(b)) ctx.fail(`both requests answered ${a}`, 'two different addresses');
  },
});

const EXHAUST_PREFIX = 29;

const exhaustion = defineCheck({
  id: 'ipam.address.exhaustion',
  family: IPAM,
  title: 'An exhausted pool answers an error, not duplicates',
  rule: `RequestAddress on a full pool (a /${EXHAUST_PREFIX}, requested until it runs out) answers an error; it never hands out an address twice or outside the pool`,
  source: `${DIGEST} §5 RequestAddress and "Endpoint addresses" (no fallback on remote errors) / libnetwork docs/ipam.md`,
  async run(ctx: CheckContext) {
    const pool = await requestPool(ctx, `${randomSubnetBase()}${8 * Math.floor(Math.random() * 30)}/${EXHAUST_PREFIX}`);
    const limit = 2 ** (32 - EXHAUST_PREFIX) + 2;
    const seen = new Set<string>();
    for (let i = 0; i < limit; i++) {
      const ex = await ctx.call('IpamDriver.RequestAddress', { PoolID: pool.id, Address: '', Options: {} });
      const a = readAnswer(ex);
      const errOn200 = ex.status === 200 && typeof (ex.json as Record<string, unknown> | null)?.['Err'] === 'string' && (ex.json as Record<string, string>)['Err'] !== '';
      if (a.kind === 'error' || errOn200) {
        if (seen.size === 0) ctx.fail(`the first RequestAddress on a fresh /${EXHAUST_PREFIX} already failed`, 'addresses until the pool is full, then an error');
        return ctx.note(`error after ${seen.size} addresses (error key judged by ipam.error-key)`);
      }
      if (a.kind === 'broken') ctx.fail(`RequestAddress: ${a.problem}`, 'an address, or an error once the pool is full');
      const got = a.body['Address'];
      if (typeof got !== 'string' || got === '') ctx.fail(`RequestAddress answered no Address and no error`, 'an address, or an error once the pool is full');
      const ip = cidrAddress(got);
      if (seen.has(ip)) ctx.fail(`address ${ip} was handed out twice`, 'each address once, then an error');
      if (!inPool(pool.pool, got)) ctx.fail(`address ${got} lies outside pool ${pool.pool}`, `addresses inside ${pool.pool}`);
      seen.add(ip);
      pool.addresses.push(ip);
    }
    ctx.fail(`${limit} addresses were handed out from a /${EXHAUST_PREFIX} (at most ${2 ** (32 - EXHAUST_PREFIX)} exist) without an error`, 'an error once the pool is full');
  },
});

const releaseRerequest = defineCheck({
  id: 'ipam.address.release',
  family: IPAM,
  title: 'A released address can be requested again',
  rule: 'ReleaseAddress with a plain IP frees it: a following RequestAddress for that IP succeeds (containers restarted with --ip)',
  source: `${DIGEST} §5 ReleaseAddress, §9.7–9.8 / moby daemon/libnetwork/endpoint.go releaseIPAddresses / P16, P17`,
  async run(ctx: CheckContext) {
    const pool = await requestPool(ctx, `${randomSubnetBase()}0/24`);
    const first = cidrAddress(await requestAddress(ctx, pool));
    await releaseAddress(ctx, pool, first);
    const again = await requestAddress(ctx, pool, first);
    if (cidrAddress(again) !== first) ctx.fail(`re-request of ${first} answered ${again}`, `${first} again`);
  },
});

const errorKey = defineCheck({
  id: 'ipam.error-key',
  family: IPAM,
  title: 'IPAM errors use "Error", not "Err", on HTTP 200',
  rule: 'An IPAM failure (here: RequestAddress on an unknown PoolID) answers HTTP 200 {"Error": "..."} or a non-200 status; {"Err": ...} on 200 is silently taken as success by dockerd',
  source: `${DIGEST} §1.4 table, §5 / moby daemon/libnetwork/ipams/remote/api/api.go Response{Error}; libnetwork issue #1613 / P6`,
  async run(ctx: CheckContext) {
    const ex = await ctx.call('IpamDriver.RequestAddress', { PoolID: ctx.name('no-such-pool'), Address: '', Options: {} });
    const a = readAnswer(ex);
    if (a.kind === 'error') return;
    if (a.kind === 'broken') ctx.fail(`RequestAddress on an unknown pool: ${a.problem}`, 'HTTP 200 {"Error": "..."} or a non-200 {"Err": "..."}');
    if (typeof a.body['Err'] === 'string' && a.body['Err'] !== '') ctx.fail(`the error is in "Err" on HTTP 200 (${JSON.stringify(a.body['Err'])}); dockerd reads "Error" and sees success`, 'HTTP 200 {"Error": "..."}');
    ctx.fail(`RequestAddress on an unknown PoolID succeeded (${JSON.stringify(a.body)})`, 'an error');
  },
});

export const IPAM_CHECKS: readonly Check[] = [
  capabilities, spaces, poolGiven, poolDynamic, addressGiven, addressChosen, exhaustion, releaseRerequest, errorKey,
];
