import { randomBytes } from 'node:crypto';
import type { CoordinationStore } from '../../store/store.js';
import { updateEntry } from '../../store/update-entry.js';
import { withStoreMutex } from '../../store/store-mutex.js';
import { silentLogger, type Logger } from '../../logging/logger.js';
import { requireString, type IpamData, type EndpointInterface, type PluginHandlers } from '../../plugin-sdk/index.js';
import { KeyMutex } from '../shared/key-mutex.js';
import { contains, macForIp, parseIp, parsePrefix, stripPrefix } from './ipv4.js';
import type { Segment } from './segment.js';
import type { EndpointRecord, NetworkRecord, SegmentKeys } from './segment-records.js';

export interface NetworkDriverOptions {
  store: CoordinationStore;
  keys: SegmentKeys;
  segment: Segment;
  /** Recorded with networks and endpoints (which lab host made them). */
  host: string;
  logger?: Logger;
}

/**
 * A libnetwork remote driver with Weave's semantics: every network of every host on this segment
 * is the same L2 bridge. Networks and endpoints live in the store (P19: dockerd never replays
 * CreateNetwork). Endpoints are veth pairs: the bridge end in the segment namespace, the other
 * end (SrcName) left in the root namespace for dockerd to move into the container.
 *
 * MAC addresses are derived from the IPv4 address (02:70:<a.b.c.d>) unless dockerd gave one.
 * A container that moves to another host with the same IP therefore keeps its MAC: its peers'
 * ARP caches stay right and the bridge relearns the port from the first frame, which is what a
 * gratuitous ARP after Join would otherwise be needed for. (A plugin cannot send one from the
 * container: the interface is only moved into the container's namespace after Join returns, and
 * a lab daemon's netns files live in its private mount namespace.)
 */
export class WeaveNetworkDriver {
  private readonly store: CoordinationStore;
  private readonly keys: SegmentKeys;
  private readonly segment: Segment;
  private readonly host: string;
  private readonly logger: Logger;
  private readonly mutex = new KeyMutex();

  constructor(opts: NetworkDriverOptions) {
    this.store = opts.store;
    this.keys = opts.keys;
    this.segment = opts.segment;
    this.host = opts.host;
    this.logger = opts.logger ?? silentLogger;
  }

  /**
   * After a reboot the bridge is gone but the store still has networks: bring it back. Under the
   * segment lock, because every lab host runs its own plugin process on this bridge, and two of
   * them starting together must not see each other's half-made namespace.
   */
  async start(): Promise<void> {
    if ((await this.store.list(this.keys.networksPrefix)).length === 0) return;
    await this.underSegmentLock(async () => {
      if ((await this.store.list(this.keys.networksPrefix)).length > 0) await this.segment.ensure();
    });
  }

  handlers(): PluginHandlers {
    return {
      'NetworkDriver.GetCapabilities': async () => ({ Scope: 'local', ConnectivityScope: 'global' }),
      'NetworkDriver.CreateNetwork': async (req) => {
        await this.createNetwork(requireString(req, 'NetworkID'), req.IPv4Data ?? [], req.IPv6Data ?? []);
        return {};
      },
      'NetworkDriver.DeleteNetwork': async (req) => {
        await this.deleteNetwork(requireString(req, 'NetworkID'));
        return {};
      },
      'NetworkDriver.CreateEndpoint': async (req) => ({
        Interface: await this.createEndpoint(requireString(req, 'NetworkID'), requireString(req, 'EndpointID'), req.Interface ?? {}),
      }),
      'NetworkDriver.DeleteEndpoint': async (req) => {
        await this.deleteEndpoint(requireString(req, 'EndpointID'));
        return {};
      },
      'NetworkDriver.EndpointOperInfo': async (req) => {
        const ep = (await this.store.get<EndpointRecord>(this.keys.endpoint(requireString(req, 'EndpointID'))))?.value;
        return { Value: ep ? { hostEnd: ep.hostEnd, mac: ep.mac, bridge: this.segment.bridge, netns: this.segment.netns } : {} };
      },
      'NetworkDriver.Join': async (req) => this.join(requireString(req, 'EndpointID'), typeof req.SandboxKey === 'string' ? req.SandboxKey : ''),
      'NetworkDriver.Leave': async (req) => {
        await this.leave(requireString(req, 'EndpointID'));
        return {};
      },
    };
  }

  async createNetwork(networkId: string, v4: IpamData[], v6: IpamData[]): Promise<void> {
    if (v6.length > 0) throw new Error('IPv6 is not supported by this network driver');
    const subnets = v4.filter((d) => d.Pool).map((d) => ({
      pool: d.Pool!,
      ...(d.Gateway ? { gateway: stripPrefix(d.Gateway) } : {}),
    }));
    await this.underSegmentLock(async () => {
      await this.segment.ensure();
      const record: NetworkRecord = { networkId, subnets, host: this.host, createdAt: new Date().toISOString() };
      await updateEntry<NetworkRecord>(this.store, this.keys.network(networkId), (cur) => (cur ? undefined : record));
    });
    this.logger.info({ networkId, subnets, bridge: this.segment.bridge }, 'network created');
  }

  /** Idempotent (P17). Removes leftover endpoints of the network; the last network takes the bridge with it. */
  async deleteNetwork(networkId: string): Promise<void> {
    const leftovers = (await this.store.list<EndpointRecord>(this.keys.endpointsPrefix)).filter((e) => e.value.networkId === networkId);
    for (const ep of leftovers) await this.deleteEndpoint(ep.value.endpointId);
    await this.underSegmentLock(async () => {
      await updateEntry<NetworkRecord>(this.store, this.keys.network(networkId), () => null);
      const remaining = await this.store.list(this.keys.networksPrefix);
      if (remaining.length === 0) {
        await this.segment.removeBridge();
        this.logger.info({ bridge: this.segment.bridge }, 'last network gone: bridge removed');
      }
    });
  }

  async createEndpoint(networkId: string, endpointId: string, iface: EndpointInterface): Promise<EndpointInterface | null> {
    return this.mutex.run(endpointId, async () => {
      const network = await this.store.get<NetworkRecord>(this.keys.network(networkId));
      if (!network) throw new Error(`no such network ${networkId} on bridge ${this.segment.bridge}`);
      if (iface.AddressIPv6) throw new Error('IPv6 is not supported by this network driver');
      const existing = await this.store.get<EndpointRecord>(this.keys.endpoint(endpointId));
      const address = iface.Address ?? '';
      const mac = iface.MacAddress || existing?.value.mac || (address ? macForIp(parseIp(stripPrefix(address))) : randomMac());
      if (!existing) {
        const tag = endpointId.slice(0, 12);
        const record: EndpointRecord = {
          endpointId, networkId, srcName: `pcc${tag}`, hostEnd: `pch${tag}`, address, mac, host: this.host,
        };
        await this.segment.ensure();
        await this.segment.addVeth(record.srcName, record.hostEnd, mac);
        try {
          await updateEntry<EndpointRecord>(this.store, this.keys.endpoint(endpointId), () => record);
        } catch (err) {
          await this.segment.removeVeth(record.srcName, record.hostEnd);
          throw err;
        }
        this.logger.info({ endpointId, address, mac, srcName: record.srcName }, 'endpoint created');
      }
      // Never echo what dockerd set (P15): only the MAC, and only when dockerd left it empty.
      return iface.MacAddress ? null : { MacAddress: mac };
    });
  }

  async deleteEndpoint(endpointId: string): Promise<void> {
    await this.mutex.run(endpointId, async () => {
      const ep = await this.store.get<EndpointRecord>(this.keys.endpoint(endpointId));
      if (!ep) return; // idempotent (P17)
      await this.segment.removeVeth(ep.value.srcName, ep.value.hostEnd);
      await updateEntry<EndpointRecord>(this.store, this.keys.endpoint(endpointId), () => null);
      this.logger.info({ endpointId }, 'endpoint deleted');
    });
  }

  async join(endpointId: string, sandboxKey: string) {
    const ep = await this.store.get<EndpointRecord>(this.keys.endpoint(endpointId));
    if (!ep) throw new Error(`no such endpoint ${endpointId}`);
    const network = await this.store.get<NetworkRecord>(this.keys.network(ep.value.networkId));
    const gateway = network ? gatewayFor(network.value, ep.value.address) : undefined;
    await updateEntry<EndpointRecord>(this.store, this.keys.endpoint(endpointId), (cur) => (cur ? { ...cur, sandboxKey } : undefined));
    return {
      InterfaceName: { SrcName: ep.value.srcName, DstPrefix: 'eth' },
      // A plain IP inside the subnet (P16; runc fails on a gateway it has no route to).
      ...(gateway ? { Gateway: gateway } : { DisableGatewayService: true }),
    };
  }

  /** Tolerates endpoints that never joined or are already gone (P17). */
  async leave(endpointId: string): Promise<void> {
    await updateEntry<EndpointRecord>(this.store, this.keys.endpoint(endpointId), (cur) => {
      if (!cur?.sandboxKey) return undefined;
      const { sandboxKey: _gone, ...rest } = cur;
      return rest;
    });
  }

  private underSegmentLock<T>(fn: () => Promise<T>): Promise<T> {
    return withStoreMutex(this.store, this.keys.lock, fn, { owner: `${this.host}:${process.pid}` });
  }
}

function gatewayFor(network: NetworkRecord, address: string): string | undefined {
  if (!address) return network.subnets.find((s) => s.gateway)?.gateway;
  const ip = parseIp(stripPrefix(address));
  return network.subnets.find((s) => s.gateway && contains(parsePrefix(s.pool, true), ip))?.gateway;
}

function randomMac(): string {
  const b = randomBytes(6);
  b[0] = (b[0]! & 0xfe) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}
