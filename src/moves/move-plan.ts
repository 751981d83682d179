import type { CoordinationStore } from '../store/store.js';
import type { EngineClient } from './engine-client.js';
import type { DatasetHolds } from './dataset-holds.js';
import type { RemoteHolds } from './remote-holds.js';
import { refuse, notFound } from './move-errors.js';
import { moveKeys, type LeaseValue } from './store-keys.js';
import { MOVE_LABEL, type MovePlan, type PlannedDataset, type PlannedEndpoint } from './move-types.js';

/** What planning needs: both hosts, the local plugins, and which drivers are chained. */
export interface PlanContext {
  self: string;
  to: string;
  source: EngineClient;
  target: EngineClient;
  holds: DatasetHolds;
  remote: RemoteHolds;
  store: CoordinationStore;
  volumeDrivers: ReadonlySet<string>;
  networkDrivers: ReadonlySet<string>;
}

/** The parts of `docker inspect` (container) a move reads. */
interface ContainerInspect {
  Id: string;
  Name: string;
  State: { Running: boolean };
  Config: Record<string, unknown> & { Image: string; Labels?: Record<string, string> | null };
  HostConfig: Record<string, unknown> & { NetworkMode?: string };
  Mounts: Array<{ Type: string; Name?: string; Driver?: string; Destination: string }>;
  NetworkSettings: { Networks: Record<string, { NetworkID: string; IPAddress: string; IPPrefixLen: number; Aliases?: string[] | null }> };
}

interface NetworkInspect {
  Name: string;
  Driver: string;
  IPAM?: { Config?: Array<{ Subnet?: string }> | null };
  Containers?: Record<string, { Name: string; IPv4Address: string }> | null;
}

/**
 * Reads the container on the source and checks everything that can be checked before anything
 * changes. Every "no" is a refusal (409) that leaves both hosts exactly as they were.
 */
export async function planMove(ctx: PlanContext, container: string, moveId: string, stopTimeoutSec: number): Promise<MovePlan> {
  const found = await ctx.source.request<ContainerInspect>('GET', `/containers/${encodeURIComponent(container)}/json`);
  if (found.status === 404) throw notFound(`no such container on host ${ctx.self}: ${container}`);
  if (found.status !== 200) throw refuse(`cannot inspect ${container} on host ${ctx.self}: HTTP ${found.status}`);
  const c = found.body;
  const name = c.Name.replace(/^\//, '');
  if (!c.State.Running) throw refuse(`container ${name} is not running on host ${ctx.self}; only running containers are moved`);

  const datasets: PlannedDataset[] = c.Mounts
    .filter((m) => m.Type === 'volume' && m.Name && m.Driver && ctx.volumeDrivers.has(m.Driver))
    .map((m) => ({ name: m.Name!, driver: m.Driver!, destination: m.Destination }));
  const endpoints: PlannedEndpoint[] = [];
  for (const [network, ep] of Object.entries(c.NetworkSettings.Networks ?? {})) {
    const net = await ctx.source.request<NetworkInspect>('GET', `/networks/${encodeURIComponent(ep.NetworkID || network)}`);
    const driver = net.status === 200 ? net.body.Driver : '';
    endpoints.push({
      network,
      driver,
      ip: ep.IPAddress ?? '',
      prefixLen: ep.IPPrefixLen ?? 0,
      chained: ctx.networkDrivers.has(driver),
      aliases: (ep.Aliases ?? []).filter((a) => !c.Id.startsWith(a)),
    });
  }
  if (datasets.length === 0 && !endpoints.some((e) => e.chained)) {
    throw refuse(`container ${name} uses no chained plugin (no volume of ${list(ctx.volumeDrivers)} and no network of ${list(ctx.networkDrivers)}); use docker rm / docker run to move it`);
  }

  await checkTarget(ctx, name, c.Config.Image, endpoints);
  for (const ds of datasets) await checkDataset(ctx, ds);

  return {
    containerId: c.Id,
    name,
    image: c.Config.Image,
    datasets,
    endpoints,
    createBody: createBodyOf(c, endpoints, moveId),
    stopTimeoutSec,
  };
}

async function checkTarget(ctx: PlanContext, name: string, image: string, endpoints: PlannedEndpoint[]): Promise<void> {
  if (!(await ctx.target.ping())) throw refuse(`target host ${ctx.to} is unreachable at ${ctx.target.address.url} (its Docker daemon or its plugchain does not answer)`);
  const info = await ctx.target.request<{ self?: string }>('GET', '/plugchain/v1/info').catch(() => null);
  if (!info || info.status !== 200 || info.body?.self !== ctx.to) {
    throw refuse(`${ctx.target.address.url} does not answer as plugchain host ${ctx.to} (GET /plugchain/v1/info)`);
  }
  const img = await ctx.target.request('GET', `/images/${image.split('/').map(encodeURIComponent).join('/')}/json`);
  if (img.status !== 200) throw refuse(`image ${image} is not on host ${ctx.to}; load it there first (moves never pull)`);
  const taken = await ctx.target.request<{ Id: string }>('GET', `/containers/${encodeURIComponent(name)}/json`);
  if (taken.status === 200) throw refuse(`the name ${name} is already taken on host ${ctx.to} (container ${taken.body.Id.slice(0, 12)})`);
  for (const ep of endpoints) {
    const net = await ctx.target.request<NetworkInspect>('GET', `/networks/${encodeURIComponent(ep.network)}`);
    if (net.status !== 200) throw refuse(`network ${ep.network} does not exist on host ${ctx.to}`);
    if (!ep.chained || !ep.ip) continue;
    if (net.body.Driver !== ep.driver) throw refuse(`network ${ep.network} on host ${ctx.to} uses driver ${net.body.Driver}, not ${ep.driver}`);
    const subnets = (net.body.IPAM?.Config ?? []).map((s) => s.Subnet ?? '').filter(Boolean);
    if (!subnets.some((s) => inSubnet(ep.ip, s))) throw refuse(`address ${ep.ip} is outside the subnets of network ${ep.network} on host ${ctx.to} (${subnets.join(', ') || 'none'})`);
  }
}

async function checkDataset(ctx: PlanContext, ds: PlannedDataset): Promise<void> {
  const fenced = await ctx.store.get<LeaseValue>(moveKeys.lease(ds.name));
  if (fenced) throw refuse(`dataset ${ds.name} is leased by move ${fenced.value.moveId} (${fenced.value.container}: ${fenced.value.from} → ${fenced.value.to})`);
  const status = await ctx.holds.status(ds).catch((err: Error) => {
    throw refuse(`cannot read dataset ${ds.name} from driver ${ds.driver}: ${err.message}`);
  });
  const mountedOn = status.mountedOn;
  if (typeof mountedOn === 'string' && mountedOn !== ctx.self) throw refuse(`dataset ${ds.name} is in use on host ${mountedOn}; it is leased there`);
}

/**
 * The target's `POST /containers/create` body: the source's config as inspect shows it (name,
 * image, command, env, labels, mounts, restart policy, endpoints) with each chained address pinned.
 * The move's label is the one addition, so that a resumed move recognises its own container.
 */
function createBodyOf(c: ContainerInspect, endpoints: PlannedEndpoint[], moveId: string): Record<string, unknown> {
  const cfg = c.Config;
  const body: Record<string, unknown> = pick(cfg, ['Image', 'Cmd', 'Entrypoint', 'Env', 'WorkingDir', 'User', 'Tty', 'OpenStdin', 'StdinOnce', 'StopSignal', 'ExposedPorts']);
  body.Labels = { ...(cfg.Labels ?? {}), [MOVE_LABEL]: moveId };
  body.HostConfig = pick(c.HostConfig, ['Binds', 'Mounts', 'VolumeDriver', 'RestartPolicy', 'NetworkMode', 'Privileged', 'CapAdd', 'CapDrop',
    'Dns', 'DnsOptions', 'DnsSearch', 'ExtraHosts', 'Init', 'ReadonlyRootfs', 'Tmpfs', 'ShmSize', 'Memory', 'NanoCpus']);
  const primary = endpoints.find((e) => e.network === c.HostConfig.NetworkMode) ?? endpoints[0];
  if (primary) body.NetworkingConfig = { EndpointsConfig: { [primary.network]: endpointConfig(primary) } };
  return body;
}

export function endpointConfig(ep: PlannedEndpoint): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (ep.chained && ep.ip) out.IPAMConfig = { IPv4Address: ep.ip };
  if (ep.aliases.length) out.Aliases = ep.aliases;
  return out;
}

function pick(from: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const v = from[k];
    if (v === undefined || v === null || v === '' || v === false || v === 0) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0) continue;
    out[k] = v;
  }
  return out;
}

export function inSubnet(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const n = Number(bits);
  const a = toInt(ip);
  const b = toInt(base ?? '');
  if (a === null || b === null || !(n >= 0 && n <= 32)) return false;
  const mask = n === 0 ? 0 : (~0 << (32 - n)) >>> 0;
  return ((a & mask) >>> 0) === ((b & mask) >>> 0);
}

function toInt(ip: string): number | null {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return null;
  return (((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!) >>> 0;
}

const list = (s: ReadonlySet<string>) => (s.size ? [...s].join(', ') : '(none configured)');
