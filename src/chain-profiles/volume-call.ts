import http from 'node:http';
import { parseAddress } from '../addresses/parse-address.js';

export interface VolumeCallResult {
  status: number;
  body: Record<string, unknown>;
}

/**
 * One VolumeDriver call sent as dockerd sends it (POST, v1.2 Accept header, JSON body), ended by
 * `signal`. Resolves with whatever the plugin answered; the caller reads `Err`.
 */
export function volumeCall(address: string, method: 'VolumeDriver.Mount' | 'VolumeDriver.Unmount', body: { Name: string; ID: string }, signal: AbortSignal): Promise<VolumeCallResult> {
  const where = parseAddress(address);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request({
      ...(where.kind === 'unix' ? { socketPath: where.path } : { host: where.host, port: where.port }),
      method: 'POST',
      path: `/${method}`,
      headers: { Accept: 'application/vnd.docker.plugins.v1.2+json', 'Content-Length': Buffer.byteLength(payload) },
      agent: false,
      signal,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = text.trim() === '' ? {} : JSON.parse(text);
        } catch {
          parsed = { Err: `answer is not JSON: ${text.slice(0, 200)}` };
        }
        resolve({ status: res.statusCode ?? 0, body: (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown> });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** The plugin's error text: `Err` on any status, or the status when it gave none. */
export function pluginFailure(r: VolumeCallResult): string | null {
  const err = typeof r.body.Err === 'string' ? r.body.Err : '';
  if (err) return err;
  if (r.status !== 200) return `HTTP ${r.status}`;
  return null;
}
