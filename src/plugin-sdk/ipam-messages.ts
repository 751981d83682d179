/** IpamDriver wire messages (plugin-protocols.md §5). Errors on 200 would go in `Error`; the SDK answers 500 + Err. */
type Empty = Record<string, never>;

export interface IpamMessages {
  'IpamDriver.GetCapabilities': { req: Empty; res: { RequiresMACAddress: boolean; RequiresRequestReplay: boolean } };
  'IpamDriver.GetDefaultAddressSpaces': { req: Empty; res: { LocalDefaultAddressSpace: string; GlobalDefaultAddressSpace: string } };
  'IpamDriver.RequestPool': {
    req: { AddressSpace: string; Pool?: string; SubPool?: string; Options?: Record<string, string> | null; V6?: boolean };
    res: { PoolID: string; Pool: string; Data: Record<string, string> | null };
  };
  'IpamDriver.ReleasePool': { req: { PoolID: string }; res: Empty };
  'IpamDriver.RequestAddress': {
    req: { PoolID: string; Address?: string; Options?: Record<string, string> | null };
    /** Address is CIDR, e.g. 10.0.0.2/24. */
    res: { Address: string; Data?: Record<string, string> | null };
  };
  'IpamDriver.ReleaseAddress': { req: { PoolID: string; Address: string }; res: Empty };
}
