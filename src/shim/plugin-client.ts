import { Pool } from 'undici';
import { readFileSync } from 'node:fs';
import { parseAddress, type Address } from '../addresses/parse-address.js';
import type { TlsFiles } from '../config/config.js';

export interface PluginReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The raw body text, exactly as the plugin sent it. */
  text: string;
}

/**
 * Calls one upstream plugin the way dockerd does: POST /<Type>.<Method>, the Accept header dockerd
 * sends, no Content-Type, the body passed through byte for byte.
 */
export class PluginClient {
  readonly address: Address;
  private readonly pool: Pool;

  constructor(address: string, tls?: TlsFiles) {
    this.address = parseAddress(address);
    const a = this.address;
    const origin = a.kind === 'unix' ? 'http://plugin.moby.localhost' : `${tls ? 'https' : 'http'}://${a.host}:${a.port}`;
    this.pool = new Pool(origin, {
      socketPath: a.kind === 'unix' ? a.path : undefined,
      connections: 16,
      headersTimeout: 0,
      bodyTimeout: 0,
      connect: tls
        ? { rejectUnauthorized: tls.verify ?? false, ca: tls.ca ? readFileSync(tls.ca) : undefined, cert: tls.cert ? readFileSync(tls.cert) : undefined, key: tls.key ? readFileSync(tls.key) : undefined }
        : undefined,
    });
  }

  async call(method: string, body: Buffer, headers: Record<string, string | string[] | undefined> = {}, signal?: AbortSignal): Promise<PluginReply> {
    const h: Record<string, string> = { accept: String(headers.accept ?? 'application/vnd.docker.plugins.v1.2+json') };
    if (headers['content-type']) h['content-type'] = String(headers['content-type']);
    const res = await this.pool.request({ method: 'POST', path: `/${method}`, headers: h, body: body.length ? body : undefined, signal });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text };
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
