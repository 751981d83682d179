import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file-store.js';
import { updateEntry } from '../../src/store/update-entry.js';
import { withStoreMutex } from '../../src/store/store-mutex.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pc-store-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const freshPath = () => join(dir, `s${++n}.json`);

describe('FileStore compare-and-set', () => {
  it('creates only when absent, updates only at the current revision', async () => {
    const s = new FileStore(freshPath());
    expect(await s.get('a')).toBeNull();
    const first = await s.compareAndSet('a', { v: 1 }, 0);
    expect(first).toMatchObject({ key: 'a', value: { v: 1 } });
    expect(first!.revision).toBeGreaterThan(0);
    expect(await s.compareAndSet('a', { v: 2 }, 0)).toBeNull();
    expect(await s.compareAndSet('a', { v: 2 }, first!.revision + 7)).toBeNull();
    const second = await s.compareAndSet('a', { v: 2 }, first!.revision);
    expect(second!.revision).toBeGreaterThan(first!.revision);
    expect(await s.get('a')).toEqual({ key: 'a', value: { v: 2 }, revision: second!.revision });
  });

  it('deletes only at the current revision, and a re-created key never reuses a revision', async () => {
    const s = new FileStore(freshPath());
    const a = await s.compareAndSet('k', 'x', 0);
    expect(await s.compareAndDelete('k', a!.revision + 1)).toBe(false);
    expect(await s.compareAndDelete('missing', 0)).toBe(false);
    expect(await s.compareAndDelete('k', a!.revision)).toBe(true);
    expect(await s.get('k')).toBeNull();
    const again = await s.compareAndSet('k', 'y', 0);
    expect(again!.revision).toBeGreaterThan(a!.revision);
    // The old revision cannot touch the new incarnation.
    expect(await s.compareAndSet('k', 'z', a!.revision)).toBeNull();
  });

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

  it('appends in order with sortable keys', async () => {
    const s = new FileStore(freshPath());
    const keys: string[] = [];
    for (let i = 0; i < 12; i++) keys.push((await s.append('journal/m1/', { i })).key);
    const listed = await s.list<{ i: number }>('journal/m1/');
    expect(listed.map((e) => e.key)).toEqual(keys);
    expect(listed.map((e) => e.value.i)).toEqual([...Array(12).keys()]);
  });

  it('is shared by two instances on one file', async () => {
    const path = freshPath();
    const a = new FileStore(path);
    const b = new FileStore(path);
    const w = await a.compareAndSet('x', 1, 0);
    expect((await b.get('x'))!.revision).toBe(w!.revision);
    expect(await b.compareAndSet('x', 2, 0)).toBeNull();
    await a.close();
    await expect(a.get('x')).rejects.toThrow(/closed/);
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

/** Runs a child node process that hammers the store through the built module. */
function child(script: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: resolve('.') });
    let out = '';
    let err = '';
    p.stdout.on('data', (c) => (out += c));
    p.stderr.on('data', (c) => (err += c));
    p.on('close', (code) => res({ code, out, err }));
  });
}

describe('FileStore across processes', () => {
  const dist = resolve('dist/store/file-store.js');

  it('two processes incrementing one counter with compare-and-set lose no update, and appends stay unique and ordered', async () => {
    expect(existsSync(dist), 'run npm run build first (npm test does)').toBe(true);
    const path = freshPath();
    const perChild = 60;
    const script = (tag: string) => `
      import { FileStore } from ${JSON.stringify(dist)};
      import { updateEntry } from ${JSON.stringify(resolve('dist/store/update-entry.js'))};
      const s = new FileStore(${JSON.stringify(path)}, { durable: false });
      for (let i = 0; i < ${perChild}; i++) {
        await updateEntry(s, 'counter', (cur) => (cur ?? 0) + 1, { attempts: 10000 });
        await s.append('log/', { tag: ${JSON.stringify(tag)}, i });
      }
    `;
    const results = await Promise.all([child(script('a')), child(script('b'))]);
    for (const r of results) expect(r.code, r.err).toBe(0);
    const s = new FileStore(path);
    expect((await s.get<number>('counter'))!.value).toBe(2 * perChild);
    const log = await s.list<{ tag: string; i: number }>('log/');
    expect(log).toHaveLength(2 * perChild);
    expect(new Set(log.map((e) => e.key)).size).toBe(2 * perChild);
    // Per writer, the log keeps the order of its appends.
    for (const tag of ['a', 'b']) expect(log.filter((e) => e.value.tag === tag).map((e) => e.value.i)).toEqual([...Array(perChild).keys()]);
    // Revisions grow with key order (an append is one write).
    const revs = log.map((e) => e.revision);
    expect([...revs].sort((x, y) => x - y)).toEqual(revs);
  });

  it('exactly one of two processes wins a create race', async () => {
    const path = freshPath();
    const script = (tag: string) => `
      import { FileStore } from ${JSON.stringify(dist)};
      const s = new FileStore(${JSON.stringify(path)});
      let wins = 0;
      for (let i = 0; i < 40; i++) if (await s.compareAndSet('race/' + i, ${JSON.stringify(tag)}, 0)) wins++;
      process.stdout.write(String(wins));
    `;
    const [a, b] = await Promise.all([child(script('a')), child(script('b'))]);
    expect(Number(a.out) + Number(b.out)).toBe(40);
    const s = new FileStore(path);
    expect(await s.list('race/')).toHaveLength(40);
  });
});

describe('helpers', () => {
  it('updateEntry retries on conflict and deletes on null', async () => {
    const s = new FileStore(freshPath());
    await Promise.all([...Array(10)].map(() => updateEntry<number>(s, 'c', (cur) => (cur ?? 0) + 1)));
    expect((await s.get('c'))!.value).toBe(10);
    await updateEntry(s, 'c', () => null);
    expect(await s.get('c')).toBeNull();
  });

  it('withStoreMutex serialises critical sections', async () => {
    const s = new FileStore(freshPath());
    let inside = 0;
    let max = 0;
    await Promise.all([...Array(5)].map(() => withStoreMutex(s, 'lock', async () => {
      max = Math.max(max, ++inside);
      await new Promise((r) => setTimeout(r, 10));
      inside--;
    })));
    expect(max).toBe(1);
    expect(await s.get('lock')).toBeNull();
  });
});
