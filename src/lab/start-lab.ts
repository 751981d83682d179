import { mkdirSync, writeFileSync } from 'node:fs';
import { pluginCall } from '../plugin-sdk/index.js';
import { ping, startPrivateDockerd } from './private-dockerd.js';
import { importBusyboxImage } from './busybox-image.js';
import { startLocalEtcd } from './local-etcd.js';
import { HOST_NAMES, checkSocketPaths, labLayout, type HostLayout, type LabLayout } from './lab-layout.js';
import { readLabState, writeLabState, type LabHostState, type LabState, type LabStoreKind } from './lab-state.js';
import { spawnPlugchain, waitReady } from './detached-process.js';
import { hostConfigYaml } from './lab-config.js';
import { createLabNetwork, type LabNetworkSpec } from './lab-network.js';
import { downLab, type DownReport } from './stop-lab.js';
import { pidMatches } from './process-tools.js';

export interface LabOptions {
  /** Number of hosts, named a, b, c… (default 2). */
  hosts?: number;
  dir: string;
  store?: LabStoreKind;
  /** Bridge of the shared segment (≤ 15 characters); default pcl<tag of dir>. */
  bridge?: string;
  /** Network namespace holding the bridge; default pcl-<tag of dir>. */
  netns?: string;
  /** A network created on every host at start-up (default weave-lab on 10.213.10.0/24); false: none. */
  network?: LabNetworkSpec | false;
  /** Chain aliases dockerd knows the shims by (default flocker and weave). */
  volumeDriver?: string;
  networkDriver?: string;
  /** Passed to every volume plugin (--move-delay-ms), for tests of long moves. */
  moveDelayMs?: number;
  /** Log level of the plugins and plugchains (default info). */
  logLevel?: string;
  /** Extra keys for a host's plugchain config (merged last; must fit schemas/config.json). */
  configExtra?: (host: string, lab: { storeUrl: string; hosts: Record<string, string> }) => Record<string, unknown>;
  /** Progress lines. */
  onStep?: (message: string) => void;
}

/** What a caller sees of one lab host: the persisted state's addresses, plus where things live. */
export type LabHost = Pick<LabHostState, 'name' | 'dockerHost' | 'proxyHost' | 'proxySocket' | 'pluginsDir' | 'stateDir' | 'volumeDriver' | 'networkDriver'> & {
  /** Where this host's datasets live (<datasets>/<host>). */
  datasetsDir: string;
  pids: { dockerd: number; volumePlugin: number; networkPlugin: number; plugchain: number };
  logsDir: string;
};

export interface Lab {
  dir: string;
  statePath: string;
  hosts: LabHost[];
  store: LabStoreKind;
  /** openStore() URL of the store shared by every host's plugins and plugchain. */
  storeUrl: string;
  bridge: string;
  netns: string;
  image: string;
  network: { name: string; subnet: string; gateway: string } | null;
  host(name: string): LabHost;
  down(): Promise<DownReport>;
}

export const LAB_IMAGE = 'plugchain/busybox:local';
export const DEFAULT_LAB_NETWORK: LabNetworkSpec = { name: 'weave-lab', subnet: '10.213.10.0/24' };

/**
 * Brings a lab up: the shared store (file or a local etcd), then every host at once (its private
 * dockerd in its own mount namespace, its two reference plugins on sockets outside the plugins
 * dir, its plugchain with shims in the plugins dir), then the busybox image on every host and the
 * lab network. Every process is detached and recorded in lab.json as it starts; on any failure
 * the lab is taken down again before the error is thrown.
 */
export async function startLab(opts: LabOptions): Promise<Lab> {
  const count = opts.hosts ?? 2;
  if (!Number.isInteger(count) || count < 1 || count > HOST_NAMES.length) throw new Error(`--hosts must be 1…${HOST_NAMES.length}`);
  const layout = labLayout(opts.dir);
  const names = HOST_NAMES.slice(0, count);
  checkSocketPaths(layout, names);
  const step = opts.onStep ?? (() => undefined);

  const previous = readLabState(layout.statePath);
  if (previous) {
    const alive = previous.hosts.flatMap((h) => [h.dockerd, h.plugchain, h.volumePlugin, h.networkPlugin]).filter((p) => p && pidMatches(p.pid, p.match));
    if (alive.length > 0) throw new Error(`a lab already runs in ${layout.dir} (lab.json); run plugchain lab down --dir ${layout.dir} first`);
    step('cleaning up what a previous lab left in this directory');
    await downLab(layout.dir);
  }
  mkdirSync(layout.dir, { recursive: true });

  const volumeDriver = opts.volumeDriver ?? 'flocker';
  const networkDriver = opts.networkDriver ?? 'weave';
  const state: LabState = {
    version: 1,
    dir: layout.dir,
    createdAt: new Date().toISOString(),
    store: opts.store ?? 'file',
    storeUrl: '',
    bridge: opts.bridge ?? layout.defaultBridge,
    netns: opts.netns ?? layout.defaultNetns,
    datasetsDir: layout.datasetsDir,
    image: LAB_IMAGE,
    hosts: names.map((n) => hostState(layout.host(n), volumeDriver, networkDriver)),
    ready: false,
  };
  if (state.bridge.length > 15) throw new Error(`bridge name ${state.bridge} is longer than 15 characters`);
  const save = () => writeLabState(layout.statePath, state);
  save();

  const started = Date.now();
  try {
    if (state.store === 'etcd') {
      step('starting etcd on loopback');
      const etcd = await startLocalEtcd({ dir: layout.etcdDir });
      state.etcd = { pid: etcd.pid, match: layout.etcdDir, log: etcd.logPath, clientUrl: etcd.clientUrl };
      state.storeUrl = etcd.storeUrl;
    } else {
      state.storeUrl = `file://${layout.fileStorePath}`;
    }
    save();
    mkdirSync(layout.datasetsDir, { recursive: true });

    const peers = Object.fromEntries(state.hosts.map((h) => [h.name, h.proxySocket]));
    step(`starting ${names.length} hosts (${names.join(', ')}): dockerd, plugins, plugchain`);
    await Promise.all(state.hosts.map((h) => startHost(layout.host(h.name), h, state, opts, peers, save)));

    step(`importing ${LAB_IMAGE} (busybox-static, never pulled) on every host`);
    for (const h of state.hosts) importBusyboxImage(h.dockerHost, LAB_IMAGE);

    const network = opts.network === undefined ? DEFAULT_LAB_NETWORK : opts.network;
    if (network) {
      step(`creating network ${network.name} (${network.subnet}) on every host`);
      state.network = await createLabNetwork(state.hosts, network);
    }
    state.ready = true;
    save();
    step(`lab up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (err) {
    step(`lab failed to start: ${(err as Error).message.split('\n')[0]}; taking it down`);
    await downLab(layout.dir, { keepDir: true }).catch(() => undefined);
    throw err;
  }
  return labFromState(state);
}

async function startHost(
  h: HostLayout, s: LabHostState, state: LabState, opts: LabOptions, peers: Record<string, string>, save: () => void,
): Promise<void> {
  for (const d of [h.root, h.pluginsDir, h.realDir, h.logsDir, h.plugchainStateDir]) mkdirSync(d, { recursive: true });
  const logLevel = opts.logLevel ?? 'info';
  const dockerd = startPrivateDockerd({ stateDir: h.dockerStateDir, pluginsDir: h.pluginsDir });

  const volumeLog = `${h.logsDir}/volume-plugin.log`;
  const volumePid = spawnPlugchain(['plugin', 'volume', '--socket', h.volumeSocket, '--host', h.name,
    '--data-dir', state.datasetsDir, '--store', state.storeUrl, '--move-delay-ms', String(opts.moveDelayMs ?? 0),
    '--log-level', logLevel], volumeLog);
  s.volumePlugin = { pid: volumePid, match: h.volumeSocket, log: volumeLog };
  const networkLog = `${h.logsDir}/network-plugin.log`;
  const networkPid = spawnPlugchain(['plugin', 'network', '--socket', h.networkSocket, '--host', h.name,
    '--bridge', state.bridge, '--netns', state.netns, '--store', state.storeUrl, '--pool-range', '10.213.0.0/16',
    '--log-level', logLevel], networkLog);
  s.networkPlugin = { pid: networkPid, match: h.networkSocket, log: networkLog };
  save();

  const daemon = await dockerd;
  s.dockerd = { pid: daemon.pid, match: h.dockerStateDir, log: daemon.logPath };
  save();
  const activated = (socket: string) => () => pluginCall(socket, 'Plugin.Activate', undefined, { timeoutMs: 1_000 }).then((r) => r.status === 200, () => false);
  await Promise.all([
    waitReady(`volume plugin of host ${h.name}`, volumePid, volumeLog, activated(h.volumeSocket)),
    waitReady(`network plugin of host ${h.name}`, networkPid, networkLog, activated(h.networkSocket)),
  ]);

  const extra = opts.configExtra?.(h.name, { storeUrl: state.storeUrl, hosts: peers });
  writeFileSync(h.plugchainConfig, hostConfigYaml({
    host: h, peers, volumeDriver: s.volumeDriver, networkDriver: s.networkDriver, storeUrl: state.storeUrl, logLevel, ...(extra ? { extra } : {}),
  }));
  const plugchainLog = `${h.logsDir}/plugchain.log`;
  const env = { ...process.env, PLUGCHAIN_HOST: h.name, PLUGCHAIN_STORE: state.storeUrl, PLUGCHAIN_LAB_DIR: state.dir };
  const plugchainPid = spawnPlugchain(['serve', '--config', h.plugchainConfig], plugchainLog, env);
  s.plugchain = { pid: plugchainPid, match: h.plugchainConfig, log: plugchainLog };
  save();
  await waitReady(`plugchain of host ${h.name}`, plugchainPid, plugchainLog, () => ping(h.proxySocket, 1_000));
}

function hostState(h: HostLayout, volumeDriver: string, networkDriver: string): LabHostState {
  return {
    name: h.name,
    dockerHost: `unix://${h.dockerSocket}`,
    proxyHost: `unix://${h.proxySocket}`,
    proxySocket: h.proxySocket,
    pluginsDir: h.pluginsDir,
    stateDir: h.root,
    dockerStateDir: h.dockerStateDir,
    volumeDriver,
    networkDriver,
    volumeSocket: h.volumeSocket,
    networkSocket: h.networkSocket,
    plugchainConfig: h.plugchainConfig,
  };
}

/** A Lab handle for a running lab, e.g. one another process started (reads lab.json). */
export function openLab(dir: string): Lab {
  const state = readLabState(labLayout(dir).statePath);
  if (!state) throw new Error(`no lab in ${dir} (no lab.json)`);
  return labFromState(state);
}

function labFromState(state: LabState): Lab {
  const layout: LabLayout = labLayout(state.dir);
  const hosts: LabHost[] = state.hosts.map((h) => ({
    name: h.name,
    dockerHost: h.dockerHost,
    proxyHost: h.proxyHost,
    proxySocket: h.proxySocket,
    pluginsDir: h.pluginsDir,
    stateDir: h.stateDir,
    datasetsDir: `${state.datasetsDir}/${h.name}`,
    volumeDriver: h.volumeDriver,
    networkDriver: h.networkDriver,
    logsDir: layout.host(h.name).logsDir,
    pids: { dockerd: h.dockerd?.pid ?? 0, volumePlugin: h.volumePlugin?.pid ?? 0, networkPlugin: h.networkPlugin?.pid ?? 0, plugchain: h.plugchain?.pid ?? 0 },
  }));
  return {
    dir: state.dir,
    statePath: layout.statePath,
    hosts,
    store: state.store,
    storeUrl: state.storeUrl,
    bridge: state.bridge,
    netns: state.netns,
    image: state.image,
    network: state.network ?? null,
    host(name: string) {
      const found = hosts.find((x) => x.name === name);
      if (!found) throw new Error(`no lab host ${name} (hosts: ${hosts.map((x) => x.name).join(', ')})`);
      return found;
    },
    down: () => downLab(state.dir),
  };
}
