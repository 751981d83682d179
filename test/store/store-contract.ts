import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CoordinationStore } from '../../src/store/store.js';
import { openStore } from '../../src/store/open-store.js';
import { updateEntry } from '../../src/store/update-entry.js';
import { withStoreMutex } from '../../src/store/store-mutex.js';

/**
 * The CoordinationStore contract, run the same way against every backend. `freshUrl()` names an
 * empty store (a new file, or a new etcd namespace) that a child process can open with
 * openStore() as well.
 */
export function describeStoreContract(backend: string, freshUrl: () => string): void {
  const opened: CoordinationStore[] = [];
  const open = (url: string) => {
    const s = openStore(url);
    opened.push(s);
    return s;
  };
  const fresh = () => open(freshUrl());
  afterAll(async () => {
    await Promise.all(opened.map((s) => s.close()));
  });

  describe(`${backend}: compare-and-set`, () => {
    it('creates only when absent and updates only at the current revision', async () => {
      const s = fresh();
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

    it('keeps JSON values of every kind', async () => {
      const s = fresh();
      const values = [0, 'text with ünïcode ✓', null, true, [1, { a: [] }], { nested: { deep: 'x'.repeat(5000) } }];
      for (const [i, v] of values.entries()) {
        const w = await s.compareAndSet(`v/${i}`, v, 0);
        expect(w!.value).toEqual(v);
        expect((await s.get(`v/${i}`))!.value).toEqual(v);
      }
    });

    it('of two writers at one revision, exactly one wins', async () => {
      const s = fresh();
      const base = await s.compareAndSet('c', 'base', 0);
      const results = await Promise.all(['x', 'y', 'z'].map((v) => s.compareAndSet('c', v, base!.revision)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const creates = await Promise.all(['x', 'y'].map((v) => s.compareAndSet('new', v, 0)));
      expect(creates.filter(Boolean)).toHaveLength(1);
    });

    it('updateEntry loses no increment under concurrent writers', async () => {
      const s = fresh();
      await Promise.all([...Array(20)].map(() => updateEntry<number>(s, 'n', (cur) => (cur ?? 0) + 1, { attempts: 1000 })));
      expect((await s.get<number>('n'))!.value).toBe(20);
    });
  });

  describe(`${backend}: handles`, () => {
    it('two handles on one URL share the store; a closed handle refuses work', async () => {
      const url = freshUrl();
      const a = openStore(url);
      const b = open(url);
      const w = await a.compareAndSet('x', 1, 0);
      expect((await b.get('x'))!.revision).toBe(w!.revision);
      expect(await b.compareAndSet('x', 2, 0)).toBeNull();
      await a.close();
      await expect(a.get('x')).rejects.toThrow(/closed/);
    });
  });

  describe(`${backend}: delete`, () => {
    it('deletes only at the current revision; a re-created key never reuses a revision', async () => {
      const s = fresh();
      const a = await s.compareAndSet('k', 'x', 0);
      expect(await s.compareAndDelete('k', a!.revision + 1)).toBe(false);
      expect(await s.compareAndDelete('missing', 0)).toBe(false);
      expect(await s.compareAndDelete('k', 0)).toBe(false);
      expect(await s.compareAndDelete('k', a!.revision)).toBe(true);
      expect(await s.get('k')).toBeNull();
      expect(await s.compareAndDelete('k', a!.revision)).toBe(false);
      const again = await s.compareAndSet('k', 'y', 0);
      expect(again!.revision).toBeGreaterThan(a!.revision);
      expect(await s.compareAndSet('k', 'z', a!.revision)).toBeNull();
    });
  });

  describe(`${backend}: list by prefix`, () => {
    it('lists exactly the keys under a prefix, in key order', async () => {
      const s = fresh();
      for (const k of ['p/b', 'p/a', 'p/a/x', 'q/a', 'p', 'p0', 'o/z']) await s.compareAndSet(k, k, 0);
      expect((await s.list('p/')).map((e) => e.key)).toEqual(['p/a', 'p/a/x', 'p/b']);
      expect((await s.list('p/')).map((e) => e.value)).toEqual(['p/a', 'p/a/x', 'p/b']);
      expect((await s.list('nothing/')).length).toBe(0);
      expect((await s.list('')).map((e) => e.key)).toEqual(['o/z', 'p', 'p/a', 'p/a/x', 'p/b', 'p0', 'q/a']);
      for (const e of await s.list('p/')) expect(e).toEqual(await s.get(e.key));
    });
  });

  describe(`${backend}: append`, () => {
    it('appends in order with sortable keys, separately per prefix', async () => {
      const s = fresh();
      const keys: string[] = [];
      for (let i = 0; i < 12; i++) {
        keys.push((await s.append('journal/m1/', { i })).key);
        await s.append('journal/m2/', { i });
      }
      expect([...keys].sort()).toEqual(keys);
      const listed = await s.list<{ i: number }>('journal/m1/');
      expect(listed.map((e) => e.key)).toEqual(keys);
      expect(listed.map((e) => e.value.i)).toEqual([...Array(12).keys()]);
      expect(await s.list('journal/m2/')).toHaveLength(12);
    });

    it('concurrent appends in one process get distinct keys', async () => {
      const s = fresh();
      const entries = await Promise.all([...Array(15)].map((_, i) => s.append('log/', i)));
      expect(new Set(entries.map((e) => e.key)).size).toBe(15);
      expect(await s.list('log/')).toHaveLength(15);
    });
  });

  describe(`${backend}: store mutex`, () => {
    it('serialises critical sections', async () => {
      const s = fresh();
      let inside = 0;
      let max = 0;
      await Promise.all([...Array(5)].map(() => withStoreMutex(s, 'lock', async () => {
        inside++;
        max = Math.max(max, inside);
        await new Promise((r) => setTimeout(r, 10));
        inside--;
      })));
      expect(max).toBe(1);
      expect(await s.get('lock')).toBeNull();
    });
  });

  describe(`${backend}: across processes`, () => {
    const openStoreJs = resolve('dist/store/open-store.js');
    const updateJs = resolve('dist/store/update-entry.js');

    it('two processes: no lost increment, appends unique and in each writer\'s order, revisions follow key order', async () => {
      expect(existsSync(openStoreJs), 'run npm run build first (npm test does)').toBe(true);
      const url = freshUrl();
      const perChild = 40;
      const script = (tag: string) => `
        import { openStore } from ${JSON.stringify(openStoreJs)};
        import { updateEntry } from ${JSON.stringify(updateJs)};
        const s = openStore(${JSON.stringify(url)});
        for (let i = 0; i < ${perChild}; i++) {
          await updateEntry(s, 'counter', (cur) => (cur ?? 0) + 1, { attempts: 10000 });
          await s.append('log/', { tag: ${JSON.stringify(tag)}, i });
        }
        await s.close();
      `;
      const results = await Promise.all([child(script('a')), child(script('b'))]);
      for (const r of results) expect(r.code, r.err).toBe(0);
      const s = open(url);
      expect((await s.get<number>('counter'))!.value).toBe(2 * perChild);
      const log = await s.list<{ tag: string; i: number }>('log/');
      expect(log).toHaveLength(2 * perChild);
      expect(new Set(log.map((e) => e.key)).size).toBe(2 * perChild);
      for (const tag of ['a', 'b']) expect(log.filter((e) => e.value.tag === tag).map((e) => e.value.i)).toEqual([...Array(perChild).keys()]);
      const revs = log.map((e) => e.revision);
      expect([...revs].sort((x, y) => x - y)).toEqual(revs);
    });

    it('exactly one of two processes wins a create race', async () => {
      const url = freshUrl();
      const script = (tag: string) => `
        import { openStore } from ${JSON.stringify(openStoreJs)};
        const s = openStore(${JSON.stringify(url)});
        const won = await s.compareAndSet('leader', ${JSON.stringify(tag)}, 0);
        process.stdout.write(won ? 'won' : 'lost');
        await s.close();
      `;
      const results = await Promise.all([child(script('a')), child(script('b'))]);
      for (const r of results) expect(r.code, r.err).toBe(0);
      expect(results.map((r) => r.out).sort()).toEqual(['lost', 'won']);
      const s = open(url);
      const winner = results[0]!.out === 'won' ? 'a' : 'b';
      expect((await s.get('leader'))!.value).toBe(winner);
    });
  });
}

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
