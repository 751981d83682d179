import { Pool } from 'undici';
import type { DaemonTarget } from './daemon-target.js';

export interface BufferedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * Request/response calls to the daemon whose bodies hooks read or rewrite. Both bodies are held in
 * memory (bounded by the caller); everything else goes through PassThrough.
 */
export class BufferedCaller {
  private readonly pool: Pool;

  constructor(target: DaemonTarget) {
    const { origin, socketPath, connect } = target.undiciPoolOptions();
    this.pool = new Pool(origin, {
      socketPath,
      connect,
      connections: 64,
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  }

  async call(
    method: string,
    url: string,
    headers: Record<string, string | string[] | undefined>,
    body: Buffer | undefined,
    limit: number,
  ): Promise<BufferedResponse> {
    const clean: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(headers)) {
      if (v === undefined) continue;
      const lk = k.toLowerCase();
      if (lk === 'connection' || lk === 'keep-alive' || lk === 'transfer-encoding' || lk === 'content-length' || lk === 'host') continue;
      clean[lk] = v;
    }
    const res = await this.pool.request({ method: method as 'POST', path: url, headers: clean, body });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        res.body.destroy();
        throw new Error(`daemon response larger than ${limit} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
    return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) };
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
