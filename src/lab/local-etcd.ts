import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import net from 'node:net';
import { request } from 'undici';
import { stopPid } from './process-tools.js';

/**
 * A single-member etcd on loopback, for the lab and the tests: random free client and peer
 * ports, its data in `dir`, started detached (so a lab outlives the command that made it) and
 * stopped by pid.
 */
export interface LocalEtcdOptions {
  dir: string;
  etcdPath?: string;
  startTimeoutMs?: number;
}

export interface LocalEtcd {
  readonly pid: number;
  readonly clientUrl: string;
  /** `etcd://127.0.0.1:<port>`, for openStore(). */
  readonly storeUrl: string;
  readonly dataDir: string;
  readonly logPath: string;
  stop(): Promise<void>;
}

export function findEtcd(): string | null {
  for (const p of ['/usr/bin/etcd', '/usr/local/bin/etcd']) if (existsSync(p)) return p;
  return null;
}

/** A loopback port that was free a moment ago. */
export async function freeLoopbackPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export async function startLocalEtcd(opts: LocalEtcdOptions): Promise<LocalEtcd> {
  const etcd = opts.etcdPath ?? findEtcd();
  if (!etcd) throw new Error('etcd is not installed (Debian: apt-get install etcd-server)');
  const dir = resolve(opts.dir);
  mkdirSync(dir, { recursive: true });
  const dataDir = join(dir, 'data');
  const logPath = join(dir, 'etcd.log');
  const clientPort = await freeLoopbackPort();
  let peerPort = await freeLoopbackPort();
  while (peerPort === clientPort) peerPort = await freeLoopbackPort();
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name', 'lab', '--data-dir', dataDir,
    '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl,
    '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `lab=${peerUrl}`, '--initial-cluster-state', 'new',
    '--log-level', 'warn', '--logger', 'zap',
  ];
  const fd = openSync(logPath, 'a');
  // ETCD_UNSUPPORTED_ARCH etc. are not needed on amd64; keep the environment minimal but inherit PATH.
  const child = spawn(etcd, args, { stdio: ['ignore', fd, fd], detached: true, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  closeSync(fd);
  child.unref();
  const pid = child.pid!;
  let exitCode: number | null | undefined;
  child.once('exit', (code) => (exitCode = code));

  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  for (;;) {
    if (await healthy(clientUrl)) break;
    if (exitCode !== undefined) throw new Error(`etcd exited (${exitCode}) before it was healthy; see ${logPath}:\n${tail(logPath)}`);
    if (Date.now() > deadline) {
      await stopPid(pid, { graceMs: 0 });
      throw new Error(`etcd was not healthy on ${clientUrl} in time; see ${logPath}:\n${tail(logPath)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    pid,
    clientUrl,
    storeUrl: `etcd://127.0.0.1:${clientPort}`,
    dataDir,
    logPath,
    stop: () => stopPid(pid, { graceMs: 5_000 }),
  };
}

export async function healthy(clientUrl: string): Promise<boolean> {
  try {
    const res = await request(`${clientUrl}/health`, { headersTimeout: 1_000, bodyTimeout: 1_000, reset: true });
    const body = (await res.body.json()) as { health?: string | boolean };
    return res.statusCode === 200 && String(body.health) === 'true';
  } catch {
    return false;
  }
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}
