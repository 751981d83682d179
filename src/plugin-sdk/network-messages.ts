/** NetworkDriver (libnetwork remote driver) wire messages (plugin-protocols.md §4.1). */
export interface IpamData {
  AddressSpace: string;
  /** CIDR. */
  Pool?: string;
  /** CIDR with prefix, e.g. 10.0.0.1/24. */
  Gateway?: string;
  AuxAddresses?: Record<string, string> | null;
}

export interface EndpointInterface {
  Address?: string;
  AddressIPv6?: string;
  MacAddress?: string;
}

type Ids = { NetworkID: string; EndpointID: string };
type Empty = Record<string, never>;

export interface NetworkMessages {
  'NetworkDriver.GetCapabilities': { req: Empty; res: { Scope: 'local' | 'global'; ConnectivityScope?: 'local' | 'global' } };
  'NetworkDriver.CreateNetwork': {
    req: { NetworkID: string; Options?: Record<string, unknown> | null; IPv4Data?: IpamData[] | null; IPv6Data?: IpamData[] | null };
    res: Empty;
  };
  'NetworkDriver.DeleteNetwork': { req: { NetworkID: string }; res: Empty };
  'NetworkDriver.CreateEndpoint': {
    req: Ids & { Interface?: EndpointInterface | null; Options?: Record<string, unknown> | null };
    res: { Interface: EndpointInterface | null };
  };
  'NetworkDriver.DeleteEndpoint': { req: Ids; res: Empty };
  'NetworkDriver.EndpointOperInfo': { req: Ids; res: { Value: Record<string, unknown> } };
  'NetworkDriver.Join': {
    req: Ids & { SandboxKey: string; Options?: Record<string, unknown> | null };
    res: {
      InterfaceName: { SrcName: string; DstPrefix: string } | null;
      Gateway?: string;
      GatewayIPv6?: string;
      StaticRoutes?: Array<{ Destination: string; RouteType: 0 | 1; NextHop?: string }>;
      DisableGatewayService?: boolean;
    };
  };
  'NetworkDriver.Leave': { req: Ids; res: Empty };
  'NetworkDriver.ProgramExternalConnectivity': { req: Ids & { Options?: Record<string, unknown> | null }; res: Empty };
  'NetworkDriver.RevokeExternalConnectivity': { req: Ids; res: Empty };
  'NetworkDriver.DiscoverNew': { req: { DiscoveryType: number; DiscoveryData: unknown }; res: Empty };
  'NetworkDriver.DiscoverDelete': { req: { DiscoveryType: number; DiscoveryData: unknown }; res: Empty };
}
