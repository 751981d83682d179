import { existsSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { dirname, resolve } from 'node:path';

/** Where a plugin server listens: a unix socket path or a TCP host:port. */
export type PluginListenAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/** Parses `unix:///p.sock`, `/p.sock`, `./p.sock` or `tcp://127.0.0.1:9000`. */
export function parsePluginAddress(address: string): PluginListenAddress {
  if (address.startsWith('tcp://')) {
    const u = new URL(address.replace(/^tcp:/, 'http:'));
    return { kind: 'tcp', host: u.hostname || '127.0.0.1', port: Number(u.port || 0) };
  }
  const path = resolve(address.startsWith('unix://') ? address.slice('unix://'.length) : address);
  if (Buffer.byteLength(path) > 107) throw new Error(`unix socket path is too long (max 107 bytes): ${path}`);
  return { kind: 'unix', path };
}

/**
 * Makes a unix socket path usable: creates its directory, removes a socket file left by a dead
 * process, and refuses when a live server still answers there or the path is not a socket.
 */
export async function prepareUnixSocketPath(path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  if (!existsSync(path)) return;
  if (!lstatSync(path).isSocket()) throw new Error(`${path} exists and is not a socket`);
  const alive = await new Promise<boolean>((r) => {
    const s = net.connect(path);
    s.once('connect', () => {
      s.destroy();
      r(true);
    });
    s.once('error', () => r(false));
  });
  if (alive) throw new Error(`another server already listens on ${path}`);
  unlinkSync(path);
}
