import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { CoordinationStore, StoreEntry } from './store.js';
import { withFileLock, type FileLockOptions } from './file-lock.js';

/**
 * The embedded coordination store: one JSON file on local disk, shared by every process on the
 * machine. Writers take `<file>.lock` (O_EXCL, stale-lock recovery), read the file, change it and
 * replace it with an atomic rename; readers read the file without the lock (a rename is atomic,
 * so they see the state before or after a write, never half of one).
 *
 * Revisions come from one counter for the whole file (like etcd's mod revision): they are
 * monotonic per key, and a key deleted and created again never reuses a revision, so a stale
 * compare-and-set can never succeed by accident.
 */
interface StoreFile {
  version: 1;
  /** Last revision handed out. */
  revision: number;
  /** Last append sequence handed out. */
  sequence: number;
  entries: Record<string, { value: unknown; revision: number }>;
}

export interface FileStoreOptions {
  lock?: FileLockOptions;
  /** fsync the data file before the rename (default true). */
  durable?: boolean;
}

/** Width of the zero-padded sequence in append keys, so that key order is append order. */
const SEQ_WIDTH = 16;

export class FileStore implements CoordinationStore {
  readonly path: string;
  private readonly lockPath: string;
  private readonly opts: FileStoreOptions;
  private closed = false;

  constructor(path: string, opts: FileStoreOptions = {}) {
    this.path = resolve(path);
    this.lockPath = `${this.path}.lock`;
    this.opts = opts;
    mkdirSync(dirname(this.path), { recursive: true });
  }

  async get<T = unknown>(key: string): Promise<StoreEntry<T> | null> {
    this.checkOpen();
    const e = this.read().entries[key];
    return e ? { key, value: e.value as T, revision: e.revision } : null;
  }

  async list<T = unknown>(prefix: string): Promise<StoreEntry<T>[]> {
    this.checkOpen();
    const { entries } = this.read();
    return Object.keys(entries)
      .filter((k) => k.startsWith(prefix))
      .sort()
      .map((k) => ({ key: k, value: entries[k]!.value as T, revision: entries[k]!.revision }));
  }

  compareAndSet<T = unknown>(key: string, value: T, expectedRevision: number): Promise<StoreEntry<T> | null> {
    return this.mutate((file) => {
      const current = file.entries[key]?.revision ?? 0;
      if (current !== expectedRevision) return null;
      const revision = ++file.revision;
      file.entries[key] = { value: clone(value), revision };
      return { key, value, revision };
    });
  }

  compareAndDelete(key: string, expectedRevision: number): Promise<boolean> {
    return this.mutate((file) => {
      const current = file.entries[key]?.revision ?? 0;
      if (current === 0 || current !== expectedRevision) return false;
      delete file.entries[key];
      file.revision++;
      return true;
    });
  }

  append<T = unknown>(prefix: string, value: T): Promise<StoreEntry<T>> {
    return this.mutate((file) => {
      const seq = ++file.sequence;
      const key = `${prefix}${String(seq).padStart(SEQ_WIDTH, '0')}`;
      const revision = ++file.revision;
      file.entries[key] = { value: clone(value), revision };
      return { key, value, revision };
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.closed) throw new Error(`file store ${this.path} is closed`);
  }

  private read(): StoreFile {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, revision: 0, sequence: 0, entries: {} };
      throw err;
    }
    const parsed = JSON.parse(text) as StoreFile;
    if (parsed.version !== 1 || typeof parsed.entries !== 'object') throw new Error(`${this.path} is not a plugchain store file`);
    return parsed;
  }

  /** Runs `change` on the current state under the lock; writes only when it changed something. */
  private async mutate<R>(change: (file: StoreFile) => R): Promise<R> {
    this.checkOpen();
    return withFileLock(this.lockPath, () => {
      const file = this.read();
      const before = file.revision + file.sequence;
      const result = change(file);
      if (file.revision + file.sequence !== before) this.write(file);
      return result;
    }, this.opts.lock);
  }

  private write(file: StoreFile): void {
    const tmp = `${this.path}.tmp-${process.pid}`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(file));
      if (this.opts.durable !== false) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
  }
}

function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
