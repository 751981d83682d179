import http from 'node:http';
import { parseAddress, type Address } from '../addresses/parse-address.js';

export interface JsonCallOptions {
  method: string;
  path: string;
  /** Sent as is; Content-Length is set from it. */
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Idle time after which the call fails (no answer, or the answer stalls). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface JsonReply {
  status: number;
  /** The body as text, exactly as received. */
  text: string;
  /** The body parsed as JSON; undefined when it was empty or not JSON. */
  json: unknown;
}

/**
 * One HTTP call over a unix socket or TCP with a fresh connection, whose answer is read whole:
 * the small client behind plugin calls, Engine API calls between plugchains and the control API.
 * A fresh connection per call means nothing lingers to hold a restarting peer open.
 * Connection failures and timeouts reject (naming the address); every HTTP status resolves.
 */
export function jsonCall(address: string | Address, opts: JsonCallOptions): Promise<JsonReply> {
  const where = typeof address === 'string' ? parseAddress(address, 0) : address;
  const headers: Record<string, string | number> = { ...opts.headers };
  if (opts.body !== undefined) headers['Content-Length'] = Buffer.byteLength(opts.body);
  return new Promise((resolve, reject) => {
    const req = http.request({
      ...(where.kind === 'unix' ? { socketPath: where.path } : { host: where.host, port: where.port }),
      method: opts.method,
      path: opts.path,
      headers,
      agent: false,
      timeout: opts.timeoutMs,
      signal: opts.signal,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text.trim() === '' ? undefined : JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, text, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${opts.method} ${opts.path} on ${where.url}: no answer in ${opts.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The Accept header dockerd sends to plugins. */
export const PLUGIN_ACCEPT = 'application/vnd.docker.plugins.v1.2+json';
