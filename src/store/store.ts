/**
 * The coordination store: what the hosts of a lab or cluster agree on. Journal entries of moves,
 * leases (who may use a dataset), address claims and dataset ownership all live here. One
 * interface; an embedded file store for one machine and an etcd store for clusters.
 *
 * Values are JSON. Every write is compare-and-set on a revision so that two hosts never both win.
 */
export interface StoreEntry<T = unknown> {
  key: string;
  value: T;
  /** Monotonic per key; 0 means "absent" in compare-and-set. */
  revision: number;
}

export interface CoordinationStore {
  get<T = unknown>(key: string): Promise<StoreEntry<T> | null>;
  /** All entries whose key starts with prefix, sorted by key. */
  list<T = unknown>(prefix: string): Promise<StoreEntry<T>[]>;
  /**
   * Writes `value` if the key's current revision is `expectedRevision` (0: must not exist).
   * Returns the new entry, or null when someone else changed the key first.
   */
  compareAndSet<T = unknown>(key: string, value: T, expectedRevision: number): Promise<StoreEntry<T> | null>;
  /** Deletes if the revision matches; returns false when it did not. */
  compareAndDelete(key: string, expectedRevision: number): Promise<boolean>;
  /** Appends to an ordered log under prefix (journal); returns the entry with its sequence key. */
  append<T = unknown>(prefix: string, value: T): Promise<StoreEntry<T>>;
  close(): Promise<void>;
}
