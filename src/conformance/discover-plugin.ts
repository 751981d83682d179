import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAddress, AddressError } from '../addresses/parse-address.js';
import type { ResolvedPlugin } from './types.js';

/** dockerd's legacy discovery directories (plugin-protocols.md §1.1). */
export const DEFAULT_SOCKET_DIRS = ['/run/docker/plugins'];
export const DEFAULT_SPEC_DIRS = ['/etc/docker/plugins', '/usr/lib/docker/plugins'];

export interface DiscoveryOptions {
  socketDirs?: readonly string[];
  specDirs?: readonly string[];
}

export class DiscoveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DiscoveryError';
  }
}

/**
 * Turns --plugin into an address. Accepts `unix:///…`, `tcp://…`, a socket path, a `.spec`/`.json`
 * file, or a plugin name, which is looked up like moby pkg/plugins/discovery.go does: `<dir>/<name>.sock`,
 * `<dir>/<name>/<name>.sock` (must be sockets), then in each spec dir `<name>.spec`, `<name>/<name>.spec`,
 * `<name>.json`, `<name>/<name>.json`; the first that exists wins.
 */
export function discoverPlugin(input: string, opts: DiscoveryOptions = {}): ResolvedPlugin {
  const raw = input.trim();
  if (raw === '') throw new DiscoveryError('--plugin is empty');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return fromUrl(raw, raw, 'address');
  if (raw.includes('/') || raw.endsWith('.sock') || raw.endsWith('.spec') || raw.endsWith('.json')) {
    if (raw.endsWith('.spec') || raw.endsWith('.json')) return fromSpecFile(raw, raw);
    return { input: raw, url: `unix://${raw}`, socketPath: raw, foundVia: raw };
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(raw)) throw new DiscoveryError(`"${raw}" is neither an address, a path nor a plugin name`);
  const tried: string[] = [];
  for (const dir of opts.socketDirs ?? DEFAULT_SOCKET_DIRS) {
    for (const p of [join(dir, `${raw}.sock`), join(dir, raw, `${raw}.sock`)]) {
      tried.push(p);
      if (isSocket(p)) return { input: raw, url: `unix://${p}`, socketPath: p, foundVia: p };
    }
  }
  for (const dir of opts.specDirs ?? DEFAULT_SPEC_DIRS) {
    for (const p of [join(dir, `${raw}.spec`), join(dir, raw, `${raw}.spec`), join(dir, `${raw}.json`), join(dir, raw, `${raw}.json`)]) {
      tried.push(p);
      if (exists(p)) return fromSpecFile(p, raw);
    }
  }
  throw new DiscoveryError(`plugin "${raw}" not found (looked at ${tried.join(', ')})`);
}

/** `.spec`: one URL; `.json`: `{"Addr": URL, "TLSConfig"?}` whose Name is ignored (§1.2). */
function fromSpecFile(file: string, input: string): ResolvedPlugin {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DiscoveryError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let url: string;
  if (file.endsWith('.json')) {
    let doc: { Addr?: unknown; TLSConfig?: unknown };
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch (err) {
      throw new DiscoveryError(`${file} is not JSON: ${(err as Error).message}`);
    }
    if (typeof doc.Addr !== 'string') throw new DiscoveryError(`${file} has no "Addr" string`);
    if (doc.TLSConfig) throw new DiscoveryError(`${file} asks for TLS, which plugchain conform does not speak yet`);
    url = doc.Addr.trim();
  } else {
    url = text.trim();
  }
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw new DiscoveryError(`${file}: Unknown protocol in "${url}" (dockerd needs a URL with a scheme)`);
  return fromUrl(url, input, file);
}

function fromUrl(url: string, input: string, foundVia: string): ResolvedPlugin {
  if (/^https:/i.test(url)) throw new DiscoveryError(`${url}: TLS plugin addresses are not supported by plugchain conform`);
  try {
    const a = parseAddress(url);
    if (a.kind === 'unix') return { input, url: a.url, socketPath: a.path, foundVia };
    return { input, url: a.url, host: a.host, port: a.port, foundVia };
  } catch (err) {
    if (err instanceof AddressError) throw new DiscoveryError(err.message);
    throw err;
  }
}

function isSocket(p: string): boolean {
  try {
    return statSync(p).isSocket();
  } catch {
    return false;
  }
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

/** True when the plugin's paths are this host's paths: a unix socket or a loopback TCP address. */
export function isLocalPlugin(p: ResolvedPlugin): boolean {
  if (p.socketPath !== undefined) return true;
  return p.host === 'localhost' || p.host === '::1' || /^127\./.test(p.host ?? '');
}
