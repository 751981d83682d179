import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import http from 'node:http';
import net from 'node:net';

/**
 * A private Docker daemon: its own data-root, exec-root and socket, never touching the host's
 * daemon, never reaching the network. The safety flags are not optional: no bridge, no iptables,
 * no masquerading, and HTTP(S)_PROXY at a closed loopback port so that no pull can leave the
 * machine.
 */
export interface PrivateDockerdOptions {
  /** Directory that holds everything the daemon writes (data, exec root, socket, log). */
  stateDir: string;
  /** Extra dockerd arguments (e.g. --experimental). */
  extraArgs?: string[];
  /** Run dockerd inside a private mount namespace with `pluginsDir` bound on /run/docker/plugins. */
  pluginsDir?: string;
  /** With pluginsDir: also bind this directory on /etc/docker/plugins (legacy `.spec` files). */
  specsDir?: string;
  /** How long to wait for /_ping. */
  startTimeoutMs?: number;
  dockerdPath?: string;
}

export interface PrivateDockerd {
  readonly socketPath: string;
  readonly dockerHost: string;
  readonly pid: number;
  readonly stateDir: string;
  readonly logPath: string;
  stop(): Promise<void>;
}

export const SAFETY_FLAGS = ['--bridge=none', '--iptables=false', '--ip-masq=false', '--ip6tables=false'] as const;

/** A loopback port nothing listens on, so that proxied pulls fail at once. */
export async function closedLoopbackPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export function findDockerd(): string | null {
  for (const p of ['/usr/sbin/dockerd', '/usr/bin/dockerd', '/usr/local/bin/dockerd']) if (existsSync(p)) return p;
  try {
    return execFileSync('sh', ['-c', 'command -v dockerd'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

export async function startPrivateDockerd(opts: PrivateDockerdOptions): Promise<PrivateDockerd> {
  const dockerd = opts.dockerdPath ?? findDockerd();
  if (!dockerd) throw new Error('dockerd is not installed (Debian: apt-get install docker.io)');
  const stateDir = resolve(opts.stateDir);
  const dataRoot = join(stateDir, 'data');
  const execRoot = join(stateDir, 'exec');
  const socketPath = join(stateDir, 'docker.sock');
  const pidFile = join(stateDir, 'dockerd.pid');
  const logPath = join(stateDir, 'dockerd.log');
  mkdirSync(dataRoot, { recursive: true });
  mkdirSync(execRoot, { recursive: true });
  const tmpDir = join(stateDir, 'tmp');
  mkdirSync(tmpDir, { recursive: true });
  if (socketPath.length > 100) throw new Error(`state directory path too long for a unix socket: ${socketPath}`);
  stalePid(pidFile);

  const proxyPort = await closedLoopbackPort();
  const proxy = `http://127.0.0.1:${proxyPort}`;
  // Its own (empty) daemon.json: the host's /etc/docker/daemon.json must not reach a private daemon.
  const configFile = join(stateDir, 'daemon.json');
  writeFileSync(configFile, '{}\n');
  const args = [
    `--config-file=${configFile}`,
    `--data-root=${dataRoot}`, `--exec-root=${execRoot}`, `--host=unix://${socketPath}`, `--pidfile=${pidFile}`,
    ...SAFETY_FLAGS, '--userland-proxy=false', '--log-level=warn', ...(opts.extraArgs ?? []),
  ];
  const env = {
    ...process.env,
    HTTP_PROXY: proxy, HTTPS_PROXY: proxy, http_proxy: proxy, https_proxy: proxy, NO_PROXY: '', no_proxy: '',
    // containerd dumps its goroutine stacks to the temp dir on shutdown: keep them in the state dir.
    TMPDIR: tmpDir,
  };
  let cmd = dockerd;
  let argv = args;
  if (opts.pluginsDir) {
    // Own mount namespace: this daemon's /run/docker/plugins is pluginsDir and nobody else's.
    // The namespace starts as a copy of ours, including the bind mounts that keep named network
    // namespaces (/run/netns/*) alive; drop those copies (private propagation: ours stay), so
    // that this daemon never keeps someone else's deleted namespace, and its bridge, alive.
    mkdirSync(opts.pluginsDir, { recursive: true });
    cmd = 'unshare';
    argv = ['--mount', '--propagation', 'private', '--', 'sh', '-c',
      'nets=$(while read -r _ m _; do case "$m" in /run/netns/?*) echo "$m";; esac; done < /proc/self/mounts); ' +
      'for m in $nets; do umount -l "$m" 2>/dev/null; done; ' +
      'mkdir -p /run/docker/plugins && mount --bind "$0" /run/docker/plugins && ' +
      'if [ -n "$PLUGCHAIN_SPECS_DIR" ]; then mkdir -p /etc/docker/plugins && mount --bind "$PLUGCHAIN_SPECS_DIR" /etc/docker/plugins; fi && ' +
      'exec "$@"',
      resolve(opts.pluginsDir), dockerd, ...args];
    if (opts.specsDir) {
      mkdirSync(opts.specsDir, { recursive: true });
      (env as NodeJS.ProcessEnv).PLUGCHAIN_SPECS_DIR = resolve(opts.specsDir);
    }
  }
  const logFd = openSync(logPath, 'a');
  const child: ChildProcess = spawn(cmd, argv, { env, stdio: ['ignore', logFd, logFd], detached: true });
  closeSync(logFd);
  child.unref();
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  for (;;) {
    if (await ping(socketPath)) break;
    const code = await Promise.race([exited, sleep(200).then(() => undefined)]);
    if (code !== undefined) throw new Error(`dockerd exited (${code}) before it answered; see ${logPath}:\n${tail(logPath)}`);
    if (Date.now() > deadline) {
      process.kill(-child.pid!, 'SIGKILL');
      throw new Error(`dockerd did not answer on ${socketPath} in time; see ${logPath}:\n${tail(logPath)}`);
    }
  }

  let stopped: Promise<void> | null = null;
  return {
    socketPath,
    dockerHost: `unix://${socketPath}`,
    pid: child.pid!,
    stateDir,
    logPath,
    stop() {
      stopped ??= (async () => {
        try {
          process.kill(child.pid!, 'SIGTERM');
        } catch {
          return;
        }
        const t = setTimeout(() => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            /* gone */
          }
        }, 20_000);
        await exited;
        clearTimeout(t);
      })();
      return stopped;
    },
  };
}

/** Removes everything a stopped private daemon left (mounts first, then files). */
export function removeStateDir(stateDir: string): void {
  try {
    const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n')
      .map((l) => l.split(' ')[1] ?? '')
      .filter((m) => m.startsWith(stateDir + '/'))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) {
      try {
        execFileSync('umount', ['-l', m.replace(/\\040/g, ' ')], { stdio: 'ignore' });
      } catch {
        /* best effort */
      }
    }
  } catch {
    /* no /proc */
  }
  rmSync(stateDir, { recursive: true, force: true });
}

export function ping(socketPath: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

function stalePid(pidFile: string): void {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (pid > 0) {
    try {
      process.kill(pid, 0);
      throw new Error(`a dockerd (pid ${pid}) already runs with ${pidFile}`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }
  rmSync(pidFile, { force: true });
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
