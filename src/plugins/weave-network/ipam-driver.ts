import { randomBytes } from 'node:crypto';
import type { CoordinationStore } from '../../store/store.js';
import { updateEntry } from '../../store/update-entry.js';
import { silentLogger, type Logger } from '../../logging/logger.js';
import { optionalMap, optionalString, requireString, type PluginHandlers } from '../../plugin-sdk/index.js';
import {
  contains, formatIp, formatPrefix, hostRange, overlaps, parseIp, parsePrefix, size, stripPrefix, type Ipv4Prefix,
} from './ipv4.js';
import type { AddressKind, PoolAddresses, PoolRecord, SegmentKeys } from './segment-records.js';

export const LOCAL_ADDRESS_SPACE = 'PlugchainLocal';
export const GLOBAL_ADDRESS_SPACE = 'PlugchainGlobal';
const GATEWAY_TYPE = 'com.docker.network.gateway';
const ENDPOINT_NAME = 'com.docker.network.endpoint.name';

export interface IpamOptions {
  store: CoordinationStore;
  keys: SegmentKeys;
  /** Range dynamic pools are cut from (default 10.213.0.0/16). */
  poolRange?: string;
  /** Prefix length of dynamic pools (default 24). */
  poolPrefix?: number;
  logger?: Logger;
}

type Pools = Record<string, PoolRecord>;

/**
 * IPAM with Weave's semantics, shared by every host on the segment through the store:
 * - a given pool may be requested by several networks (one per host on the same bridge): the
 *   pool is shared and released when the last PoolID is released;
 * - a dynamic request gets the first pool of the range that overlaps no pool in use, so repeated
 *   requests (dockerd's overlap loop keeps its leases) never get the same pool forever (P20);
 * - addresses are allocated segment-wide; an endpoint name (container name) keeps a claim on
 *   its last address after release and gets it back when it asks without a preferred address;
 * - the gateway is allocated once per pool and shared; it is freed with the pool;
 * - releases are idempotent (P17); errors are thrown and leave as HTTP 500 `Err` (§1.4).
 */
export class WeaveIpam {
  private readonly store: CoordinationStore;
  private readonly keys: SegmentKeys;
  private readonly range: Ipv4Prefix;
  private readonly poolPrefix: number;
  private readonly logger: Logger;

  constructor(opts: IpamOptions) {
    this.store = opts.store;
    this.keys = opts.keys;
    this.range = parsePrefix(opts.poolRange ?? '10.213.0.0/16');
    this.poolPrefix = opts.poolPrefix ?? 24;
    if (this.poolPrefix < this.range.bits || this.poolPrefix > 30) {
      throw new Error(`pool prefix /${this.poolPrefix} does not fit the pool range ${formatPrefix(this.range)}`);
    }
    this.logger = opts.logger ?? silentLogger;
  }

  handlers(): PluginHandlers {
    return {
      'IpamDriver.GetCapabilities': async () => ({ RequiresMACAddress: false, RequiresRequestReplay: false }),
      'IpamDriver.GetDefaultAddressSpaces': async () => ({
        LocalDefaultAddressSpace: LOCAL_ADDRESS_SPACE, GlobalDefaultAddressSpace: GLOBAL_ADDRESS_SPACE,
      }),
      'IpamDriver.RequestPool': async (req) => {
        if (req.V6) throw new Error('IPv6 pools are not supported by this IPAM driver');
        if (optionalString(req, 'SubPool')) throw new Error('sub-pools (--ip-range) are not supported by this IPAM driver');
        const { poolId, pool } = await this.requestPool(optionalString(req, 'Pool'));
        return { PoolID: poolId, Pool: pool, Data: {} };
      },
      'IpamDriver.ReleasePool': async (req) => {
        await this.releasePool(requireString(req, 'PoolID'));
        return {};
      },
      'IpamDriver.RequestAddress': async (req) => {
        const opts = optionalMap<string>(req, 'Options');
        this.logger.debug({ req }, 'RequestAddress');
        const kind: AddressKind = opts.RequestAddressType === GATEWAY_TYPE ? 'gateway' : opts[ENDPOINT_NAME] ? 'endpoint' : 'address';
        const address = await this.requestAddress(requireString(req, 'PoolID'), optionalString(req, 'Address'), kind, opts[ENDPOINT_NAME]);
        return { Address: address, Data: {} };
      },
      'IpamDriver.ReleaseAddress': async (req) => {
        await this.releaseAddress(requireString(req, 'PoolID'), requireString(req, 'Address'));
        return {};
      },
    };
  }

  async requestPool(given: string | undefined): Promise<{ poolId: string; pool: string }> {
    const poolId = (pool: string) => `${pool}#${randomBytes(6).toString('hex')}`;
    let result: { poolId: string; pool: string } | null = null;
    await updateEntry<Pools>(this.store, this.keys.pools, (cur) => {
      const pools: Pools = { ...(cur ?? {}) };
      let cidr: string;
      if (given) {
        const p = parsePrefix(given);
        cidr = formatPrefix(p);
        const clash = Object.values(pools).find((x) => x.pool !== cidr && overlaps(parsePrefix(x.pool), p));
        if (clash) throw new Error(`pool ${cidr} overlaps pool ${clash.pool} already in use on this segment`);
      } else {
        cidr = this.freeDynamicPool(pools);
      }
      const id = poolId(cidr);
      const existing = pools[cidr];
      pools[cidr] = existing ? { ...existing, holders: [...existing.holders, id] } : { pool: cidr, dynamic: !given, holders: [id] };
      result = { poolId: id, pool: cidr };
      return pools;
    });
    this.logger.info(result!, 'pool requested');
    return result!;
  }

  async releasePool(poolId: string): Promise<void> {
    const cidr = poolOf(poolId);
    let emptied = false;
    await updateEntry<Pools>(this.store, this.keys.pools, (cur) => {
      const rec = cur?.[cidr];
      if (!rec || !rec.holders.includes(poolId)) return undefined; // idempotent
      const pools: Pools = { ...cur };
      const holders = rec.holders.filter((h) => h !== poolId);
      emptied = holders.length === 0;
      if (emptied) delete pools[cidr];
      else pools[cidr] = { ...rec, holders };
      return pools;
    });
    if (emptied) await updateEntry<PoolAddresses>(this.store, this.keys.addresses(cidr), () => null);
  }

  async requestAddress(poolId: string, preferred: string | undefined, kind: AddressKind, name?: string): Promise<string> {
    const cidr = poolOf(poolId);
    const pools = (await this.store.get<Pools>(this.keys.pools))?.value ?? {};
    if (!pools[cidr]) throw new Error(`unknown pool ${poolId}`);
    const prefix = parsePrefix(cidr);
    let chosen = 0;
    await updateEntry<PoolAddresses>(this.store, this.keys.addresses(cidr), (cur) => {
      const state: PoolAddresses = {
        allocated: { ...(cur?.allocated ?? {}) }, claims: { ...(cur?.claims ?? {}) }, released: { ...(cur?.released ?? {}) },
      };
      chosen = this.pick(state, prefix, preferred, kind, name);
      const ip = formatIp(chosen);
      state.allocated[ip] = { kind, ...(name ? { name } : {}), at: new Date().toISOString() };
      delete state.released![ip];
      if (kind === 'endpoint' && name) state.claims[name] = ip;
      return state;
    });
    const address = `${formatIp(chosen)}/${prefix.bits}`;
    this.logger.info({ pool: cidr, address, kind, name }, 'address requested');
    return address;
  }

  async releaseAddress(poolId: string, address: string): Promise<void> {
    const cidr = poolOf(poolId);
    const ip = stripPrefix(address);
    await updateEntry<PoolAddresses>(this.store, this.keys.addresses(cidr), (cur) => {
      const held = cur?.allocated[ip];
      // The gateway is shared by every host's network on this pool: it goes with the pool.
      if (!cur || !held || held.kind === 'gateway') return undefined;
      const allocated = { ...cur.allocated };
      delete allocated[ip];
      return { ...cur, allocated, released: { ...(cur.released ?? {}), [ip]: new Date().toISOString() } };
    });
  }

  private pick(state: PoolAddresses, prefix: Ipv4Prefix, preferred: string | undefined, kind: AddressKind, name?: string): number {
    const { first, last } = hostRange(prefix);
    const cidr = formatPrefix(prefix);
    const holderOf = (ip: number) => state.allocated[formatIp(ip)];
    if (kind === 'gateway') {
      const existing = Object.entries(state.allocated).find(([, v]) => v.kind === 'gateway');
      if (existing && (!preferred || existing[0] === preferred)) return parseIp(existing[0]);
      if (existing) throw new Error(`pool ${cidr} already has gateway ${existing[0]}`);
    }
    if (preferred) {
      const ip = parseIp(preferred);
      if (!contains(prefix, ip) || ip < first || ip > last) throw new Error(`address ${preferred} is not a host address of pool ${cidr}`);
      const held = holderOf(ip);
      if (held && !(name && held.name === name)) {
        throw new Error(`address ${preferred} is already in use${held.name ? ` by ${held.name}` : ''} on this segment`);
      }
      return ip;
    }
    if (name && state.claims[name]) {
      const ip = parseIp(state.claims[name]!);
      if (contains(prefix, ip) && !holderOf(ip)) return ip;
    }
    // The lowest free address that nobody else claims and nobody released lately; failing that,
    // the free address released longest ago (claims count as released at the epoch's start).
    const claimed = new Set(Object.entries(state.claims).filter(([n]) => n !== name).map(([, ip]) => ip));
    const released = state.released ?? {};
    let fallback = 0;
    let fallbackAt = '';
    for (let ip = first; ip <= last; ip++) {
      if (holderOf(ip)) continue;
      const text = formatIp(ip);
      const at = released[text] ?? (claimed.has(text) ? '0' : undefined);
      if (at === undefined) return ip;
      if (!fallback || at < fallbackAt) [fallback, fallbackAt] = [ip, at];
    }
    if (fallback) return fallback;
    throw new Error(`no available IPv4 addresses in pool ${cidr} (${size(prefix.bits)} addresses, all in use)`);
  }

  private freeDynamicPool(pools: Pools): string {
    const inUse = Object.values(pools).map((x) => parsePrefix(x.pool));
    const step = size(this.poolPrefix);
    for (let base = this.range.base; base < this.range.base + size(this.range.bits); base += step) {
      const candidate = { base, bits: this.poolPrefix };
      if (!inUse.some((p) => overlaps(p, candidate))) return formatPrefix(candidate);
    }
    throw new Error(`no free /${this.poolPrefix} pool left in ${formatPrefix(this.range)}`);
  }
}

/** `10.213.5.0/24#a1b2…` → `10.213.5.0/24`. */
function poolOf(poolId: string): string {
  const cidr = poolId.split('#')[0]!;
  try {
    return formatPrefix(parsePrefix(cidr));
  } catch {
    throw new Error(`unknown pool ${poolId}`);
  }
}
