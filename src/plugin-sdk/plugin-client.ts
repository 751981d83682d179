import http from 'node:http';
import { parseAddress } from '../addresses/parse-address.js';

export interface PluginCallResult {
  status: number;
  body: unknown;
  raw: string;
}

/**
 * Sends one plugin call the way dockerd does: POST, no Content-Type, the v1.2 Accept header, and
 * an empty body when `body` is undefined. For tests and tools; not a retrying client.
 */
export function pluginCall(address: string, method: string, body?: unknown, opts: { timeoutMs?: number } = {}): Promise<PluginCallResult> {
  const where = parseAddress(address, 0);
  const payload = body === undefined ? '' : `${JSON.stringify(body)}\n`;
  return new Promise((resolve, reject) => {
    const req = http.request({
      ...(where.kind === 'unix' ? { socketPath: where.path } : { host: where.host, port: where.port }),
      method: 'POST',
      path: `/${method}`,
      headers: { Accept: 'application/vnd.docker.plugins.v1.2+json', 'Content-Length': Buffer.byteLength(payload) },
      timeout: opts.timeoutMs ?? 130_000,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = undefined;
        try {
          parsed = raw === '' ? undefined : JSON.parse(raw);
        } catch {
          /* leave undefined; raw has it */
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, raw });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method}: timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}
