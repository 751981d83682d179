import net from 'node:net';
import tls from 'node:tls';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseAddress, type Address } from '../addresses/parse-address.js';

export interface ServerTlsOptions {
  cert: string;
  key: string;
  /** With verify, clients must present a certificate signed by this CA (dockerd's --tlsverify). */
  ca?: string;
  verify: boolean;
}

export interface ListenOptions {
  /** File mode of a unix socket; 0o660 by default, as dockerd's own socket. */
  socketMode?: number;
  tls?: ServerTlsOptions;
}

export interface BoundListener {
  readonly address: Address;
  readonly server: net.Server;
  /** The DOCKER_HOST value a client uses to reach this listener. */
  readonly dockerHost: string;
  close(): Promise<void>;
}

export class ListenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListenError';
  }
}

/**
 * Binds one listen address. Connections are handed to `onConnection` as sockets with half-open
 * allowed, so that a client's write shutdown can be relayed as one.
 */
export async function listenAddress(
  spec: string,
  onConnection: (socket: net.Socket) => void,
  opts: ListenOptions = {},
): Promise<BoundListener> {
  let address: Address;
  try {
    address = parseAddress(spec);
  } catch (err) {
    throw new ListenError(`cannot listen on "${spec}": ${(err as Error).message}`);
  }
  if (address.kind === 'unix') await prepareSocketPath(address.path);
  const server = opts.tls
    ? tls.createServer(
        {
          cert: readFileSync(opts.tls.cert),
          key: readFileSync(opts.tls.key),
          ca: opts.tls.ca ? readFileSync(opts.tls.ca) : undefined,
          requestCert: opts.tls.verify,
          rejectUnauthorized: opts.tls.verify,
          allowHalfOpen: true,
        },
        onConnection,
      )
    : net.createServer({ allowHalfOpen: true, noDelay: true }, onConnection);

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(new ListenError(`cannot listen on ${address.url}: ${err.code === 'EADDRINUSE' ? 'address already in use' : err.message}`));
    });
    if (address.kind === 'unix') server.listen(address.path, () => resolve());
    else server.listen(address.port, address.host, () => resolve());
  });
  if (address.kind === 'unix') chmodSync(address.path, opts.socketMode ?? 0o660);

  let bound = address;
  if (address.kind === 'tcp' && address.port === 0) {
    const a = server.address() as net.AddressInfo;
    bound = { ...address, port: a.port, url: `tcp://${address.host}:${a.port}` };
  }
  let closed: Promise<void> | null = null;
  return {
    address: bound,
    server,
    dockerHost: bound.url,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        if (bound.kind === 'unix') safeUnlink(bound.path);
      });
      return closed;
    },
  };
}

/**
 * Makes a unix socket path usable: creates its directory, refuses a path too long for sun_path, a
 * file that is not a socket, or a socket another live process serves ("in use"); a stale socket
 * file (nobody answers) is removed, as dockerd does with its own.
 */
export async function prepareSocketPath(path: string): Promise<void> {
  if (Buffer.byteLength(path) > 107) throw new ListenError(`unix socket path is too long (max 107 bytes): ${path}`);
  mkdirSync(dirname(path), { recursive: true });
  if (!existsSync(path)) return;
  if (!lstatSync(path).isSocket()) throw new ListenError(`cannot listen on unix://${path}: the path exists and is not a socket`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = net.connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) throw new ListenError(`cannot listen on unix://${path}: socket is in use by another process`);
  safeUnlink(path);
}

function safeUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}
