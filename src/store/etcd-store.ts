import { Agent, request } from 'undici';
import type { CoordinationStore, StoreEntry } from './store.js';

/**
 * The distributed coordination store: etcd v3 through its JSON/HTTP gateway (grpc-gateway), so
 * no gRPC client is needed. Keys and values travel base64-encoded; int64 fields arrive as strings.
 *
 * Layout under a namespace (default `plugchain/`):
 *   <ns>d/<key>      the entries (value = JSON text)
 *   <ns>s/<prefix>   the append counter of one log prefix (value = decimal text)
 *
 * A StoreEntry's revision is the key's etcd `mod_revision`: monotonic per key, and never reused
 * after a delete, so a stale compare-and-set cannot succeed by accident. Every write is one txn
 * whose compare is `mod_revision == expected` (0 compares as "absent").
 */
export interface EtcdStoreOptions {
  /** Client URLs, e.g. ['http://127.0.0.1:2379']. Tried in order when one refuses connections. */
  endpoints: string[];
  /** Key namespace, default `plugchain/`. */
  namespace?: string;
  /** Gateway prefix: `/v3` (etcd ≥ 3.4) or `/v3beta` (3.3). Default `/v3`. */
  apiPrefix?: string;
  /** Per-request timeout. Default 10 s. */
  timeoutMs?: number;
}

/** Width of the zero-padded sequence in append keys (same as the file store). */
const SEQ_WIDTH = 16;

interface KeyValue {
  key: string;
  value?: string;
  mod_revision?: string;
  create_revision?: string;
}

interface ResponseHeader {
  revision?: string;
}

interface RangeResponse {
  header?: ResponseHeader;
  kvs?: KeyValue[];
  count?: string;
}

interface TxnResponse {
  header?: ResponseHeader;
  /** proto3 JSON leaves `false` out: a missing field means the compare failed. */
  succeeded?: boolean;
  responses?: Array<{ response_range?: RangeResponse }>;
}

type Compare = { key: string; target: 'MOD'; result: 'EQUAL'; mod_revision: string };
type Op =
  | { request_put: { key: string; value: string } }
  | { request_delete_range: { key: string } }
  | { request_range: { key: string } };

export class EtcdStoreError extends Error {}

export class EtcdStore implements CoordinationStore {
  readonly endpoints: readonly string[];
  private readonly dataPrefix: string;
  private readonly seqPrefix: string;
  private readonly api: string;
  private readonly timeoutMs: number;
  private readonly agent = new Agent({ keepAliveTimeout: 10_000, connections: 16 });
  private preferred = 0;
  private closed = false;

  constructor(opts: EtcdStoreOptions) {
    if (opts.endpoints.length === 0) throw new EtcdStoreError('etcd store: no endpoints');
    this.endpoints = opts.endpoints.map((e) => e.replace(/\/+$/, ''));
    const ns = opts.namespace ?? 'plugchain/';
    this.dataPrefix = `${ns}d/`;
    this.seqPrefix = `${ns}s/`;
    this.api = (opts.apiPrefix ?? '/v3').replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  async get<T = unknown>(key: string): Promise<StoreEntry<T> | null> {
    const res = await this.call<RangeResponse>('kv/range', { key: b64(this.dataPrefix + key) });
    const kv = res.kvs?.[0];
    return kv ? this.toEntry<T>(kv) : null;
  }

  async list<T = unknown>(prefix: string): Promise<StoreEntry<T>[]> {
    const start = this.dataPrefix + prefix;
    const res = await this.call<RangeResponse>('kv/range', {
      key: b64(start), range_end: b64Bytes(prefixEnd(Buffer.from(start, 'utf8'))), sort_order: 'ASCEND', sort_target: 'KEY',
    });
    return (res.kvs ?? []).map((kv) => this.toEntry<T>(kv));
  }

  async compareAndSet<T = unknown>(key: string, value: T, expectedRevision: number): Promise<StoreEntry<T> | null> {
    const k = b64(this.dataPrefix + key);
    const res = await this.txn([modEquals(k, expectedRevision)], [{ request_put: { key: k, value: b64(encode(value)) } }]);
    if (!res.succeeded) return null;
    return { key, value: decode<T>(encode(value)), revision: revisionOf(res) };
  }

  async compareAndDelete(key: string, expectedRevision: number): Promise<boolean> {
    if (expectedRevision <= 0) return false;
    const k = b64(this.dataPrefix + key);
    const res = await this.txn([modEquals(k, expectedRevision)], [{ request_delete_range: { key: k } }]);
    return res.succeeded === true;
  }

  /**
   * One txn per attempt: if the prefix's counter is still at the revision we read, bump it and
   * create `<prefix><seq>` in the same txn (so the entry and the counter share one revision and
   * key order is append order across writers). Retried while other appenders win.
   */
  async append<T = unknown>(prefix: string, value: T): Promise<StoreEntry<T>> {
    const counterKey = b64(this.seqPrefix + prefix);
    const body = b64(encode(value));
    for (let attempt = 0; attempt < 1000; attempt++) {
      const cur = (await this.call<RangeResponse>('kv/range', { key: counterKey })).kvs?.[0];
      const seq = (cur?.value ? Number(unb64(cur.value)) : 0) + 1;
      const key = `${prefix}${String(seq).padStart(SEQ_WIDTH, '0')}`;
      const res = await this.txn([modEquals(counterKey, Number(cur?.mod_revision ?? 0))], [
        { request_put: { key: counterKey, value: b64(String(seq)) } },
        { request_put: { key: b64(this.dataPrefix + key), value: body } },
      ]);
      if (res.succeeded) return { key, value: decode<T>(encode(value)), revision: revisionOf(res) };
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(2 * (attempt + 1), 25)));
    }
    throw new EtcdStoreError(`append to ${prefix}: the counter kept changing`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.agent.close();
  }

  /** etcd's own health endpoint (`{"health":"true"}`) on the first endpoint that answers. */
  async healthy(): Promise<boolean> {
    for (const ep of this.endpoints) {
      try {
        const res = await request(`${ep}/health`, { dispatcher: this.agent, headersTimeout: 2_000, bodyTimeout: 2_000 });
        const body = (await res.body.json()) as { health?: string | boolean };
        if (res.statusCode === 200 && String(body.health) === 'true') return true;
      } catch {
        /* try the next one */
      }
    }
    return false;
  }

  private txn(compare: Compare[], success: Op[]): Promise<TxnResponse> {
    return this.call<TxnResponse>('kv/txn', { compare, success, failure: [] });
  }

  private toEntry<T>(kv: KeyValue): StoreEntry<T> {
    return {
      key: unb64(kv.key).slice(this.dataPrefix.length),
      value: decode<T>(kv.value ? unb64(kv.value) : 'null'),
      revision: Number(kv.mod_revision ?? 0),
    };
  }

  /**
   * POSTs to the gateway. Only a refused or unreachable connection moves on to the next
   * endpoint: the request never reached that server, so trying elsewhere cannot apply it twice.
   */
  private async call<R>(path: string, body: unknown): Promise<R> {
    if (this.closed) throw new EtcdStoreError('etcd store is closed');
    const payload = JSON.stringify(body);
    let lastError: unknown = null;
    for (let i = 0; i < this.endpoints.length; i++) {
      const index = (this.preferred + i) % this.endpoints.length;
      const url = `${this.endpoints[index]}${this.api}/${path}`;
      let res;
      try {
        res = await request(url, {
          method: 'POST', body: payload, dispatcher: this.agent,
          headers: { 'content-type': 'application/json' },
          headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs,
        });
      } catch (err) {
        if (notConnected(err)) {
          lastError = err;
          continue;
        }
        throw new EtcdStoreError(`etcd ${url}: ${(err as Error).message}`);
      }
      this.preferred = index;
      const text = await res.body.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : {};
      } catch {
        throw new EtcdStoreError(`etcd ${url}: HTTP ${res.statusCode}, not JSON: ${text.slice(0, 200)}`);
      }
      if (res.statusCode !== 200) {
        const e = parsed as { error?: string; message?: string };
        throw new EtcdStoreError(`etcd ${url}: HTTP ${res.statusCode}: ${e.message ?? e.error ?? text.slice(0, 200)}`);
      }
      return parsed as R;
    }
    throw new EtcdStoreError(`etcd unreachable at ${this.endpoints.join(', ')}: ${(lastError as Error)?.message ?? 'no answer'}`);
  }
}

function modEquals(key: string, revision: number): Compare {
  return { key, target: 'MOD', result: 'EQUAL', mod_revision: String(revision) };
}

function revisionOf(res: TxnResponse): number {
  const r = Number(res.header?.revision ?? NaN);
  if (!Number.isFinite(r) || r <= 0) throw new EtcdStoreError('etcd txn answered without a header revision');
  return r;
}

/** The smallest key greater than every key that starts with `prefix` (etcd's range_end rule). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // "\0": every key (only for an all-0xff prefix)
}

function notConnected(err: unknown): boolean {
  const code = (err as { code?: string; cause?: { code?: string } }).code ?? (err as { cause?: { code?: string } }).cause?.code;
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'UND_ERR_CONNECT_TIMEOUT';
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const b64Bytes = (b: Buffer) => b.toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
const encode = (v: unknown) => (v === undefined ? 'null' : JSON.stringify(v));
const decode = <T>(s: string) => JSON.parse(s) as T;
