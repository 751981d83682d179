import { closeSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * A cross-process lock: a lock file created with O_EXCL. The holder writes its pid, host and a
 * token; a lock whose holder process is gone (same host) or that is older than `staleMs` is
 * broken. Breaking happens under a second O_EXCL "break" file so that two waiters that both saw
 * the same stale lock cannot remove each other's fresh lock.
 */
export interface FileLockOptions {
  /** A lock older than this is considered abandoned even if its pid looks alive. */
  staleMs?: number;
  /** Give up waiting after this long. */
  timeoutMs?: number;
  /** First poll interval; grows to 50 ms. */
  pollMs?: number;
}

interface LockOwner {
  pid: number;
  host: string;
  token: string;
  at: number;
}

let tokenCounter = 0;

export async function withFileLock<T>(lockPath: string, fn: () => Promise<T> | T, opts: FileLockOptions = {}): Promise<T> {
  const token = await acquire(lockPath, opts);
  try {
    return await fn();
  } finally {
    release(lockPath, token);
  }
}

async function acquire(lockPath: string, opts: FileLockOptions): Promise<string> {
  const staleMs = opts.staleMs ?? 30_000;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  const token = `${process.pid}-${Date.now()}-${++tokenCounter}`;
  const owner: LockOwner = { pid: process.pid, host: hostname(), token, at: Date.now() };
  let wait = opts.pollMs ?? 2;
  for (;;) {
    if (tryCreate(lockPath, JSON.stringify(owner))) return token;
    breakIfStale(lockPath, staleMs);
    if (Date.now() > deadline) throw new Error(`could not take the store lock ${lockPath} in time`);
    await new Promise((r) => setTimeout(r, wait + Math.random() * wait));
    wait = Math.min(wait * 2, 50);
  }
}

function tryCreate(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

function release(lockPath: string, token: string): void {
  // Only remove the lock if it is still ours (it may have been broken as stale meanwhile).
  const owner = readOwner(lockPath);
  if (owner?.token !== token) return;
  try {
    unlinkSync(lockPath);
  } catch {
    /* already gone */
  }
}

function readOwner(path: string): LockOwner | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
  } catch {
    return null;
  }
}

function isStale(path: string, staleMs: number): boolean {
  let ageMs: number;
  try {
    ageMs = Date.now() - statSync(path).mtimeMs;
  } catch {
    return false; // gone: not stale, just retry
  }
  const owner = readOwner(path);
  // A lock file without readable content is either being written (young) or abandoned (old).
  if (!owner) return ageMs > 1_000;
  if (ageMs > staleMs) return true;
  if (owner.host !== hostname()) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function breakIfStale(lockPath: string, staleMs: number): void {
  if (!isStale(lockPath, staleMs)) return;
  const breakPath = `${lockPath}.break`;
  if (!tryCreate(breakPath, String(process.pid))) {
    // Someone else is breaking it. A break file left by a crashed breaker is removed after 5 s.
    try {
      if (Date.now() - statSync(breakPath).mtimeMs > 5_000) unlinkSync(breakPath);
    } catch {
      /* gone */
    }
    return;
  }
  try {
    // Re-check under the break file: the lock may have been released and re-taken meanwhile.
    if (isStale(lockPath, staleMs)) {
      const aside = `${lockPath}.stale-${process.pid}-${Date.now()}`;
      try {
        renameSync(lockPath, aside);
        unlinkSync(aside);
      } catch {
        /* gone */
      }
    }
  } finally {
    try {
      unlinkSync(breakPath);
    } catch {
      /* gone */
    }
  }
}
