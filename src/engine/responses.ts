import type { ServerResponse } from 'node:http';
import type { HookResponse } from '../chain/hook.js';

const DROP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length']);

/** Writes a fully buffered response with its own Content-Length. */
export function writeRaw(res: ServerResponse, status: number, headers: Record<string, string | string[] | undefined>, body: Buffer): void {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !DROP.has(k)) out[k] = v;
  out['content-length'] = String(body.length);
  res.writeHead(status, out);
  res.end(body);
}

/** JSON when the daemon said JSON and it parses, otherwise the text. */
export function parseResponseBody(headers: Record<string, string | string[] | undefined>, raw: Buffer): unknown {
  const text = raw.toString('utf8');
  if (!String(headers['content-type'] ?? '').includes('json') || text.length === 0) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Sends a response that a hook produced or rewrote. */
export function sendHookResponse(res: ServerResponse, r: HookResponse): void {
  const isText = typeof r.body === 'string';
  const body = Buffer.from(isText ? (r.body as string) : r.body === undefined ? '' : JSON.stringify(r.body));
  const headers = { ...r.headers };
  if (!isText && !headers['content-type']) headers['content-type'] = 'application/json';
  writeRaw(res, r.status, headers, body);
}
