import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/**
 * `<dir>/lab.json`: everything `lab down` needs to take a lab apart from any process, written
 * after every step of `lab up` (so a half-started lab can be taken down too).
 */
export type LabStoreKind = 'file' | 'etcd';

export interface LabProcess {
  pid: number;
  /** A string the process's command line contains; a pid is only signalled while it matches. */
  match: string;
  log: string;
}

export interface LabHostState {
  name: string;
  /** DOCKER_HOST of the host's private dockerd (direct, without plugchain). */
  dockerHost: string;
  /** DOCKER_HOST of the host's plugchain: what users use. */
  proxyHost: string;
  proxySocket: string;
  pluginsDir: string;
  stateDir: string;
  dockerStateDir: string;
  volumeDriver: string;
  networkDriver: string;
  volumeSocket: string;
  networkSocket: string;
  plugchainConfig: string;
  dockerd?: LabProcess;
  volumePlugin?: LabProcess;
  networkPlugin?: LabProcess;
  plugchain?: LabProcess;
}

export interface LabNetworkState {
  name: string;
  subnet: string;
  gateway: string;
}

export interface LabState {
  version: 1;
  dir: string;
  createdAt: string;
  store: LabStoreKind;
  /** openStore() URL of the shared store (empty until it exists). */
  storeUrl: string;
  etcd?: LabProcess & { clientUrl: string };
  bridge: string;
  netns: string;
  datasetsDir: string;
  image: string;
  network?: LabNetworkState;
  hosts: LabHostState[];
  /** Set once every host answered. */
  ready: boolean;
}

export function readLabState(path: string): LabState | null {
  if (!existsSync(path)) return null;
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as LabState;
  if (parsed.version !== 1 || !Array.isArray(parsed.hosts)) throw new Error(`${path} is not a plugchain lab state file`);
  return parsed;
}

export function writeLabState(path: string, state: LabState): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, path);
}
