import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CoordinationStore } from './store.js';
import { FileStore } from './file-store.js';
import { EtcdStore } from './etcd-store.js';

/**
 * Where a coordination store lives, as one string:
 *   file:///var/lib/plugchain/store.json   the embedded file store
 *   /var/lib/plugchain/store.json          the same (a plain path; relative paths resolve)
 *   etcd://127.0.0.1:2379                  etcd v3 through its JSON gateway
 *   etcd://h1:2379,h2:2379/myns/           several client endpoints, and a key namespace
 */
export type StoreSpec =
  | { kind: 'file'; path: string }
  | { kind: 'etcd'; endpoints: string[]; namespace?: string };

export function parseStoreUrl(url: string): StoreSpec {
  if (url.startsWith('etcd://')) {
    const rest = url.slice('etcd://'.length);
    const slash = rest.indexOf('/');
    const hosts = (slash < 0 ? rest : rest.slice(0, slash)).split(',').map((h) => h.trim()).filter(Boolean);
    if (hosts.length === 0) throw new Error(`store URL ${url}: no etcd endpoint`);
    for (const h of hosts) {
      if (!/^[A-Za-z0-9.\-[\]:]+:\d+$/.test(h)) throw new Error(`store URL ${url}: endpoint ${h} is not host:port`);
    }
    const ns = slash < 0 ? '' : rest.slice(slash + 1);
    return {
      kind: 'etcd',
      endpoints: hosts.map((h) => `http://${h}`),
      ...(ns ? { namespace: ns.endsWith('/') ? ns : `${ns}/` } : {}),
    };
  }
  if (url.startsWith('file://')) return { kind: 'file', path: fileURLToPath(url) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw new Error(`store URL ${url}: use file:///path.json or etcd://host:port`);
  if (!url) throw new Error('store URL is empty');
  return { kind: 'file', path: resolve(url) };
}

/** Opens the store a URL names. The caller closes it. */
export function openStore(url: string): CoordinationStore {
  const spec = parseStoreUrl(url);
  if (spec.kind === 'file') return new FileStore(spec.path);
  return new EtcdStore({ endpoints: spec.endpoints, ...(spec.namespace ? { namespace: spec.namespace } : {}) });
}

/** The canonical URL of a store (file paths made absolute). */
export function storeUrl(spec: StoreSpec): string {
  if (spec.kind === 'file') return `file://${spec.path}`;
  return `etcd://${spec.endpoints.map((e) => e.replace(/^https?:\/\//, '')).join(',')}${spec.namespace ? `/${spec.namespace}` : ''}`;
}
