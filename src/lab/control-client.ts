import { jsonCall } from '../http/json-call.js';

/** A JSON call to plugchain's own API (/plugchain/v1/…) on a unix socket. */
export interface ControlReply<T = unknown> {
  status: number;
  body: T;
}

export async function controlCall<T = unknown>(socketPath: string, method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 30_000): Promise<ControlReply<T>> {
  const r = await jsonCall(`unix://${socketPath}`, {
    method, path, timeoutMs,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }),
  });
  return { status: r.status, body: (r.json !== undefined ? r.json : r.text === '' ? null : r.text) as T };
}

/** The `message` of a Docker-style error body, or the body as text. */
export function messageOf(reply: ControlReply): string {
  const b = reply.body as { message?: unknown } | string | null;
  if (b && typeof b === 'object' && typeof b.message === 'string') return b.message;
  return typeof b === 'string' ? b : JSON.stringify(b);
}
