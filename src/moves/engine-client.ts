import { jsonCall } from '../http/json-call.js';
import { parseAddress, type Address } from '../addresses/parse-address.js';

export interface EngineAnswer<T = unknown> {
  status: number;
  body: T;
  /** The raw text, for error messages. */
  text: string;
}

/** An Engine API error status, with dockerd's (or plugchain's) `message`. */
export class EngineCallError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/**
 * A small JSON client for one Engine API endpoint: a dockerd, or another host's plugchain (which
 * forwards to its dockerd through its own chain). Connection failures reject; HTTP statuses
 * resolve, and `ok()` turns unexpected ones into EngineCallError.
 */
export class EngineClient {
  readonly address: Address;

  constructor(address: string, private readonly timeoutMs = 60_000) {
    this.address = parseAddress(address);
  }

  async request<T = unknown>(method: string, path: string, body?: unknown, timeoutMs = this.timeoutMs): Promise<EngineAnswer<T>> {
    try {
      const r = await jsonCall(this.address, {
        method, path, timeoutMs,
        headers: { Host: 'docker', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: r.status, body: (r.json !== undefined ? r.json : r.text === '' ? null : r.text) as T, text: r.text };
    } catch (err) {
      throw new Error(`${this.address.url}: ${(err as Error).message}`);
    }
  }

  /** The request; a status outside `accept` becomes an EngineCallError carrying dockerd's message. */
  async ok<T = unknown>(method: string, path: string, body?: unknown, accept: number[] = [200, 201, 204, 304], timeoutMs?: number): Promise<EngineAnswer<T>> {
    const r = await this.request<T>(method, path, body, timeoutMs);
    if (!accept.includes(r.status)) throw new EngineCallError(r.status, `${method} ${path} on ${this.address.url}: ${r.status} ${messageOf(r)}`);
    return r;
  }

  /** True when `GET /_ping` answers 200 within `timeoutMs`. */
  async ping(timeoutMs = 3_000): Promise<boolean> {
    try {
      return (await this.request('GET', '/_ping', undefined, timeoutMs)).status === 200;
    } catch {
      return false;
    }
  }
}

export function messageOf(r: EngineAnswer): string {
  const b = r.body as { message?: unknown } | null;
  return b && typeof b === 'object' && typeof b.message === 'string' ? b.message : r.text.trim().slice(0, 500);
}
