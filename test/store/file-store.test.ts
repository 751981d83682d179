import { mkdtempSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file-store.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pc-store-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * What only the file store has: value copies and its lock file. The behaviour every store shares
 * (compare-and-set, delete, list, append, helpers, two processes) is the contract in
 * store-contract.ts, run on the file store and on etcd by etcd-store.test.ts.
 */
let n = 0;
const freshPath = () => join(dir, `s${++n}.json`);

describe('FileStore values', () => {
  it('lists by prefix in key order and stores copies, not references', async () => {
    const s = new FileStore(freshPath());
    const v = { n: 1 };
    await s.compareAndSet('p/b', v, 0);
    await s.compareAndSet('p/a', 2, 0);
    await s.compareAndSet('q/a', 3, 0);
    v.n = 99;
    const list = await s.list('p/');
    expect(list.map((e) => e.key)).toEqual(['p/a', 'p/b']);
    expect(list[1]!.value).toEqual({ n: 1 });
  });
});

describe('FileStore locking', () => {
  it('breaks a lock left by a dead process', async () => {
    const path = freshPath();
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname(), token: 't', at: 0 }));
    const s = new FileStore(path, { lock: { timeoutMs: 5_000 } });
    expect(await s.compareAndSet('a', 1, 0)).not.toBeNull();
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('breaks a lock older than staleMs even if its pid is alive', async () => {
    const path = freshPath();
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: process.pid, host: 'h', token: 't', at: 0 }));
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${path}.lock`, old, old);
    const s = new FileStore(path, { lock: { staleMs: 1_000, timeoutMs: 5_000 } });
    expect(await s.compareAndSet('a', 1, 0)).not.toBeNull();
  });

  it('waits for a live lock and times out with a clear error', async () => {
    const path = freshPath();
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname(), token: 't', at: Date.now() }));
    const s = new FileStore(path, { lock: { timeoutMs: 300 } });
    await expect(s.compareAndSet('a', 1, 0)).rejects.toThrow(/could not take the store lock/);
  });
});
