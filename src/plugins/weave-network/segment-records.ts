/**
 * What the network + IPAM driver keeps in the coordination store, all under the L2 segment's
 * prefix `weave/<bridge>/` so that every host's plugin on that bridge shares it:
 *   networks/<NetworkID>     → NetworkRecord
 *   endpoints/<EndpointID>   → EndpointRecord
 *   ipam/pools               → Record<cidr, PoolRecord>    (one document: overlap checks are atomic)
 *   ipam/addresses/<cidr>    → PoolAddresses               (allocations and name claims of one pool)
 *   lock                     → store mutex for bridge create/delete decisions
 */
export interface NetworkRecord {
  networkId: string;
  /** IPv4 pools with their gateways (plain IPs), from CreateNetwork's IPv4Data. */
  subnets: Array<{ pool: string; gateway?: string }>;
  host: string;
  createdAt: string;
}

export interface EndpointRecord {
  endpointId: string;
  networkId: string;
  /** Container-side veth end, left in the root namespace for dockerd to move. */
  srcName: string;
  /** Bridge-side veth end, in the segment's namespace. */
  hostEnd: string;
  /** CIDR, as dockerd gave it ("" when none). */
  address: string;
  mac: string;
  host: string;
  sandboxKey?: string;
}

export interface PoolRecord {
  pool: string;
  dynamic: boolean;
  /** PoolIDs handed out for this pool and not released yet (one per network on each host). */
  holders: string[];
}

/** 'address': an endpoint or --aux-address that came without a name (dockerd 20.10 sends none). */
export type AddressKind = 'gateway' | 'endpoint' | 'address';

export interface PoolAddresses {
  /** Address → who holds it now. */
  allocated: Record<string, { kind: AddressKind; name?: string; at: string }>;
  /**
   * Endpoint name → the address it last held; a later request by that name gets it back. Only
   * daemons that send `com.docker.network.endpoint.name` in RequestAddress fill this: dockerd
   * 20.10 sends `Options: null` for endpoint addresses (seen in the tests).
   */
  claims: Record<string, string>;
  /**
   * Address → when it was released. Dynamic requests take never-used addresses first and the
   * longest-released last, so an address that just left one host (a move in flight, given again
   * with --ip on the target) is not handed to someone else meanwhile.
   */
  released?: Record<string, string>;
}

export interface SegmentKeys {
  prefix: string;
  network(id: string): string;
  endpoint(id: string): string;
  networksPrefix: string;
  endpointsPrefix: string;
  pools: string;
  addresses(pool: string): string;
  lock: string;
}

export function segmentKeys(bridge: string): SegmentKeys {
  const prefix = `weave/${bridge}/`;
  return {
    prefix,
    network: (id) => `${prefix}networks/${id}`,
    endpoint: (id) => `${prefix}endpoints/${id}`,
    networksPrefix: `${prefix}networks/`,
    endpointsPrefix: `${prefix}endpoints/`,
    pools: `${prefix}ipam/pools`,
    addresses: (pool) => `${prefix}ipam/addresses/${pool.replace('/', '_')}`,
    lock: `${prefix}lock`,
  };
}
