import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestEtcd, type TestEtcd } from '../harness/etcd.js';
import { EtcdStore, prefixEnd } from '../../src/store/etcd-store.js';
import { openStore, parseStoreUrl, storeUrl } from '../../src/store/open-store.js';
import { FileStore } from '../../src/store/file-store.js';
import { describeStoreContract } from './store-contract.js';

/** The same contract on both backends: the file store and a real etcd on loopback. */
let etcd: TestEtcd | null = null;
let dir = '';
let n = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pc-contract-'));
  etcd = await startTestEtcd();
}, 60_000);

afterAll(async () => {
  await etcd?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describeStoreContract('file store', () => `file://${join(dir, `s${++n}.json`)}`);
describeStoreContract('etcd store', () => `${etcd!.storeUrl}/t${process.pid}-${++n}/`);

describe('etcd store specifics', () => {
  it('keeps its keys under its namespace, apart from other namespaces', async () => {
    const a = openStore(`${etcd!.storeUrl}/ns-a/`);
    const b = openStore(`${etcd!.storeUrl}/ns-b/`);
    await a.compareAndSet('k', 'a', 0);
    expect(await b.get('k')).toBeNull();
    expect(await b.list('')).toEqual([]);
    await a.append('j/', 1);
    // The append counter is not an entry.
    expect((await a.list('')).map((e) => e.key)).toEqual(['j/0000000000000001', 'k']);
    await Promise.all([a.close(), b.close()]);
  });

  it('is healthy while etcd runs, and fails clearly when no endpoint answers', async () => {
    const s = new EtcdStore({ endpoints: [etcd!.clientUrl] });
    expect(await s.healthy()).toBe(true);
    await s.close();
    const dead = new EtcdStore({ endpoints: ['http://127.0.0.1:1'], timeoutMs: 2_000 });
    await expect(dead.get('x')).rejects.toThrow(/etcd unreachable/);
    await dead.close();
  });

  it('fails over to the next endpoint when one refuses connections', async () => {
    const s = new EtcdStore({ endpoints: ['http://127.0.0.1:1', etcd!.clientUrl], namespace: 'failover/' });
    expect(await s.compareAndSet('x', 1, 0)).not.toBeNull();
    expect((await s.get('x'))!.value).toBe(1);
    await s.close();
  });

  it('range end of a prefix', () => {
    expect(prefixEnd(Buffer.from('a/')).toString()).toBe('a0');
    expect([...prefixEnd(Buffer.from([0x61, 0xff]))]).toEqual([0x62]);
  });
});

describe('openStore URLs', () => {
  it('parses file, path and etcd forms', () => {
    expect(parseStoreUrl('file:///var/x.json')).toEqual({ kind: 'file', path: '/var/x.json' });
    expect(parseStoreUrl('/var/x.json')).toEqual({ kind: 'file', path: '/var/x.json' });
    expect(parseStoreUrl('etcd://127.0.0.1:2379')).toEqual({ kind: 'etcd', endpoints: ['http://127.0.0.1:2379'] });
    expect(parseStoreUrl('etcd://h1:1,h2:2/ns')).toEqual({ kind: 'etcd', endpoints: ['http://h1:1', 'http://h2:2'], namespace: 'ns/' });
    expect(storeUrl(parseStoreUrl('etcd://h1:1,h2:2/ns'))).toBe('etcd://h1:1,h2:2/ns/');
    expect(() => parseStoreUrl('etcd://')).toThrow(/no etcd endpoint/);
    expect(() => parseStoreUrl('etcd://nohostport')).toThrow(/host:port/);
    expect(() => parseStoreUrl('redis://x:1')).toThrow(/file:\/\/\/path.json or etcd/);
    expect(openStore(`file://${join(dir, 'o.json')}`)).toBeInstanceOf(FileStore);
  });
});
