import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';

/**
 * Where everything of a lab lives, derived from its directory alone, so that `lab down` from
 * another process finds the same names:
 *
 *   <dir>/lab.json                 state: pids, sockets, names (written as the lab comes up)
 *   <dir>/store.json | <dir>/etcd/ the shared coordination store
 *   <dir>/datasets/<host>/<name>   dataset data (the volume plugins share this root)
 *   <dir>/<host>/docker/           private dockerd: data, exec root, docker.sock, dockerd.log
 *   <dir>/<host>/plugins/          bound on that dockerd's /run/docker/plugins: only the shims
 *   <dir>/<host>/real/             the real plugin sockets (dockerd never sees them)
 *   <dir>/<host>/plugchain.sock    the host's plugchain: the DOCKER_HOST users use
 *   <dir>/<host>/plugchain.yaml    its generated config
 *   <dir>/<host>/logs/             plugin and plugchain logs, recorded plugin traffic
 */
export const HOST_NAMES = 'abcdefghijklmnopqrstuvwxyz'.split('');

export interface HostLayout {
  name: string;
  root: string;
  dockerStateDir: string;
  dockerSocket: string;
  pluginsDir: string;
  realDir: string;
  volumeSocket: string;
  networkSocket: string;
  proxySocket: string;
  plugchainConfig: string;
  plugchainStateDir: string;
  logsDir: string;
}

export interface LabLayout {
  dir: string;
  statePath: string;
  fileStorePath: string;
  etcdDir: string;
  datasetsDir: string;
  /** Short tag from the directory: names the bridge and netns, so two labs never collide. */
  tag: string;
  defaultBridge: string;
  defaultNetns: string;
  host(name: string): HostLayout;
}

export function labLayout(dir: string): LabLayout {
  const root = resolve(dir);
  const tag = createHash('sha256').update(root).digest('hex').slice(0, 6);
  return {
    dir: root,
    statePath: join(root, 'lab.json'),
    fileStorePath: join(root, 'store.json'),
    etcdDir: join(root, 'etcd'),
    datasetsDir: join(root, 'datasets'),
    tag,
    defaultBridge: `pcl${tag}`,
    defaultNetns: `pcl-${tag}`,
    host(name: string): HostLayout {
      const h = join(root, name);
      return {
        name,
        root: h,
        dockerStateDir: join(h, 'docker'),
        dockerSocket: join(h, 'docker', 'docker.sock'),
        pluginsDir: join(h, 'plugins'),
        realDir: join(h, 'real'),
        volumeSocket: join(h, 'real', 'dataset.sock'),
        networkSocket: join(h, 'real', 'network.sock'),
        proxySocket: join(h, 'plugchain.sock'),
        plugchainConfig: join(h, 'plugchain.yaml'),
        plugchainStateDir: join(h, 'plugchain'),
        logsDir: join(h, 'logs'),
      };
    },
  };
}

/** The longest unix socket path the lab creates must fit sockaddr_un (108 bytes with the NUL). */
export function checkSocketPaths(layout: LabLayout, hosts: string[]): void {
  for (const name of hosts) {
    const h = layout.host(name);
    // containerd puts its sockets under the exec root; allow for that suffix too.
    const longest = Math.max(h.dockerSocket.length, h.proxySocket.length, h.volumeSocket.length,
      join(h.dockerStateDir, 'exec', 'containerd', 'containerd.sock.ttrpc').length);
    if (longest > 100) throw new Error(`lab directory ${layout.dir} is too deep for unix sockets (${longest} > 100 bytes); use a shorter --dir`);
  }
}
