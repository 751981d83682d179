import { jsonCall, PLUGIN_ACCEPT } from '../http/json-call.js';

export interface PluginCallResult {
  status: number;
  body: unknown;
  raw: string;
}

/**
 * Sends one plugin call the way dockerd does: POST, no Content-Type, the v1.2 Accept header, and
 * an empty body when `body` is undefined. For tests and tools; not a retrying client.
 */
export async function pluginCall(address: string, method: string, body?: unknown, opts: { timeoutMs?: number } = {}): Promise<PluginCallResult> {
  const r = await jsonCall(address, {
    method: 'POST',
    path: `/${method}`,
    headers: { Accept: PLUGIN_ACCEPT },
    body: body === undefined ? '' : `${JSON.stringify(body)}\n`,
    timeoutMs: opts.timeoutMs ?? 130_000,
  });
  return { status: r.status, body: r.json, raw: r.text };
}
