import { hostname } from 'node:os';
import type { CoordinationStore } from './store.js';

/**
 * A mutex held in the coordination store, for short critical sections that span processes or
 * hosts (e.g. "is this the last network on the bridge? then delete the bridge"). The key holds
 * the owner and an expiry; an expired holder is taken over with compare-and-set, so a crashed
 * holder blocks others for at most `ttlMs`.
 */
export interface StoreMutexOptions {
  ttlMs?: number;
  timeoutMs?: number;
  owner?: string;
}

interface MutexValue {
  owner: string;
  expiresAt: number;
}

let counter = 0;

export async function withStoreMutex<T>(store: CoordinationStore, key: string, fn: () => Promise<T>, opts: StoreMutexOptions = {}): Promise<T> {
  const ttlMs = opts.ttlMs ?? 30_000;
  const owner = opts.owner ?? `${hostname()}:${process.pid}:${++counter}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let revision = 0;
  for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
    const current = await store.get<MutexValue>(key);
    const free = !current || current.value.expiresAt < Date.now();
    if (free) {
      const taken = await store.compareAndSet<MutexValue>(key, { owner, expiresAt: Date.now() + ttlMs }, current?.revision ?? 0);
      if (taken) {
        revision = taken.revision;
        break;
      }
    }
    if (Date.now() > deadline) throw new Error(`store mutex ${key} is held by ${current?.value.owner ?? 'someone'}`);
    await new Promise((r) => setTimeout(r, wait));
  }
  try {
    return await fn();
  } finally {
    await store.compareAndDelete(key, revision);
  }
}
