/**
 * The Docker plugin protocols as one table. The shim, the conformance suite, the reference plugins'
 * servers and the schema ids are all driven by it; nothing repeats a method list by hand.
 * Facts: ../shared/reference/plugin-protocols.md (§1.3 bodies, §1.4 error keys, §1.5 timeouts).
 */
export type PluginKind = 'volume' | 'network' | 'ipam' | 'authz';

export interface SubsystemSpec {
  readonly kind: PluginKind;
  /** The `Implements` value in Plugin.Activate (case-sensitive). */
  readonly implements: string;
  /** Managed (v2) plugin interface type. */
  readonly v2Type: string;
  /** Key dockerd reads an error from on HTTP 200 (null: errors on 200 are ignored). */
  readonly errorKeyOn200: 'Err' | 'Error' | null;
}

export const SUBSYSTEMS: Readonly<Record<PluginKind, SubsystemSpec>> = Object.freeze({
  volume: { kind: 'volume', implements: 'VolumeDriver', v2Type: 'docker.volumedriver/1.0', errorKeyOn200: 'Err' },
  network: { kind: 'network', implements: 'NetworkDriver', v2Type: 'docker.networkdriver/1.0', errorKeyOn200: 'Err' },
  ipam: { kind: 'ipam', implements: 'IpamDriver', v2Type: 'docker.ipamdriver/1.0', errorKeyOn200: 'Error' },
  authz: { kind: 'authz', implements: 'authz', v2Type: 'docker.authz/1.0', errorKeyOn200: null },
});

export interface MethodSpec {
  /** `VolumeDriver.Mount`; the HTTP path is `/` + name. */
  readonly name: string;
  readonly kind: PluginKind | 'activate';
  /** dockerd sends an empty body (Go nil args), not `{}`. */
  readonly emptyRequest: boolean;
  /** dockerd copes with a 404 (method not implemented). */
  readonly optional: boolean;
  /** dockerd's own per-call deadline for this method, in ms (0: none). */
  readonly dockerdTimeoutMs: number;
}

const m = (name: string, kind: MethodSpec['kind'], o: Partial<Omit<MethodSpec, 'name' | 'kind'>> = {}): MethodSpec =>
  Object.freeze({ name, kind, emptyRequest: o.emptyRequest ?? false, optional: o.optional ?? false, dockerdTimeoutMs: o.dockerdTimeoutMs ?? 0 });

const LONG = 120_000;
const SHORT = 60_000;

export const METHODS: readonly MethodSpec[] = Object.freeze([
  m('Plugin.Activate', 'activate', { emptyRequest: true }),
  m('VolumeDriver.Create', 'volume', { dockerdTimeoutMs: LONG }),
  m('VolumeDriver.Remove', 'volume', { dockerdTimeoutMs: SHORT }),
  m('VolumeDriver.Mount', 'volume', { dockerdTimeoutMs: LONG }),
  m('VolumeDriver.Unmount', 'volume', { dockerdTimeoutMs: SHORT }),
  m('VolumeDriver.Path', 'volume', { dockerdTimeoutMs: SHORT }),
  m('VolumeDriver.Get', 'volume', { dockerdTimeoutMs: SHORT }),
  m('VolumeDriver.List', 'volume', { dockerdTimeoutMs: SHORT }),
  m('VolumeDriver.Capabilities', 'volume', { dockerdTimeoutMs: SHORT }),
  m('NetworkDriver.GetCapabilities', 'network', { emptyRequest: true }),
  m('NetworkDriver.CreateNetwork', 'network'),
  m('NetworkDriver.DeleteNetwork', 'network'),
  m('NetworkDriver.AllocateNetwork', 'network', { optional: true }),
  m('NetworkDriver.FreeNetwork', 'network', { optional: true }),
  m('NetworkDriver.CreateEndpoint', 'network'),
  m('NetworkDriver.DeleteEndpoint', 'network'),
  m('NetworkDriver.EndpointOperInfo', 'network'),
  m('NetworkDriver.Join', 'network'),
  m('NetworkDriver.Leave', 'network'),
  m('NetworkDriver.ProgramExternalConnectivity', 'network', { optional: true }),
  m('NetworkDriver.RevokeExternalConnectivity', 'network', { optional: true }),
  m('NetworkDriver.DiscoverNew', 'network', { optional: true }),
  m('NetworkDriver.DiscoverDelete', 'network', { optional: true }),
  m('NetworkDriver.GwAllocCheck', 'network', { optional: true }),
  m('IpamDriver.GetCapabilities', 'ipam', { emptyRequest: true, optional: true }),
  m('IpamDriver.GetDefaultAddressSpaces', 'ipam', { emptyRequest: true }),
  m('IpamDriver.RequestPool', 'ipam'),
  m('IpamDriver.ReleasePool', 'ipam'),
  m('IpamDriver.RequestAddress', 'ipam'),
  m('IpamDriver.ReleaseAddress', 'ipam'),
  m('AuthZPlugin.AuthZReq', 'authz'),
  m('AuthZPlugin.AuthZRes', 'authz'),
]);

const BY_NAME = new Map(METHODS.map((x) => [x.name, x]));

/** The method for an HTTP path (`/VolumeDriver.Mount`), or undefined. */
export function methodForPath(path: string): MethodSpec | undefined {
  return BY_NAME.get(path.startsWith('/') ? path.slice(1) : path);
}

/** Schema message ids for a method: `VolumeDriver.Mount.request` / `.response`. */
export function messageIds(name: string): { request: string; response: string } {
  return { request: `${name}.request`, response: `${name}.response` };
}

/** The kinds a Plugin.Activate `Implements` list declares (unknown values are ignored). */
export function kindsFromImplements(implementsList: readonly string[]): PluginKind[] {
  return (Object.values(SUBSYSTEMS) as SubsystemSpec[]).filter((s) => implementsList.includes(s.implements)).map((s) => s.kind);
}
