import net from 'node:net';
import { readFileSync, readlinkSync } from 'node:fs';

/** First file descriptor systemd passes (SD_LISTEN_FDS_START). */
const FIRST_FD = 3;

export interface ActivatedListener {
  readonly fd: number;
  /** DOCKER_HOST for this socket (unix://path or tcp://host:port). */
  readonly dockerHost: string;
  close(): Promise<void>;
}

/**
 * The listening sockets systemd handed over (socket activation, sd_listen_fds(3)): LISTEN_PID must
 * name this process; LISTEN_FDS counts descriptors from fd 3. The variables are removed so that
 * child processes do not take the sockets for theirs.
 */
export function activatedFds(env: NodeJS.ProcessEnv = process.env, pid = process.pid): number[] {
  if (env.LISTEN_PID !== String(pid)) return [];
  const n = Number(env.LISTEN_FDS ?? '0');
  delete env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  if (!Number.isInteger(n) || n <= 0) return [];
  return Array.from({ length: n }, (_, i) => FIRST_FD + i);
}

/** Serves already-listening descriptors (unix or TCP stream sockets) with `onConnection`. */
export async function listenOnFds(fds: readonly number[], onConnection: (s: net.Socket) => void): Promise<ActivatedListener[]> {
  const out: ActivatedListener[] = [];
  for (const fd of fds) {
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, onConnection);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ fd }, () => resolve());
    });
    const a = server.address();
    const unixPath = typeof a === 'string' && a !== '' ? a : unixPathOfFd(fd);
    const dockerHost = a && typeof a === 'object' ? `tcp://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : unixPath ? `unix://${unixPath}` : `fd://${fd}`;
    let closed: Promise<void> | null = null;
    out.push({
      fd,
      dockerHost,
      // The socket file belongs to systemd: it is not unlinked.
      close: () => (closed ??= new Promise<void>((r) => server.close(() => r()))),
    });
  }
  return out;
}

/** Node does not report the path of a unix socket it got as a descriptor: look it up by inode. */
function unixPathOfFd(fd: number): string | null {
  try {
    const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1];
    if (!inode) return null;
    for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[6] === inode && cols[7]) return cols[7];
    }
  } catch {
    /* no /proc */
  }
  return null;
}
