import type { CoordinationStore, StoreEntry } from './store.js';

/**
 * Read-modify-write of one key with compare-and-set, retried when another writer got there first.
 * `change` gets the current value (or null) and returns the new value, `undefined` to leave the
 * key as it is, or `null` to delete it. It may throw to abort; it may run more than once.
 */
export async function updateEntry<T>(
  store: CoordinationStore,
  key: string,
  change: (current: T | null, entry: StoreEntry<T> | null) => T | null | undefined,
  opts: { attempts?: number } = {},
): Promise<StoreEntry<T> | null> {
  const attempts = opts.attempts ?? 100;
  for (let i = 0; i < attempts; i++) {
    const entry = await store.get<T>(key);
    const next = change(entry?.value ?? null, entry);
    if (next === undefined) return entry;
    if (next === null) {
      if (!entry) return null;
      if (await store.compareAndDelete(key, entry.revision)) return null;
    } else {
      const written = await store.compareAndSet<T>(key, next, entry?.revision ?? 0);
      if (written) return written;
    }
    await new Promise((r) => setTimeout(r, Math.random() * Math.min(5 * (i + 1), 50)));
  }
  throw new Error(`store key ${key} kept changing under ${attempts} attempts`);
}
