import { jsonCall, PLUGIN_ACCEPT } from '../http/json-call.js';

export interface VolumeCallResult {
  status: number;
  body: Record<string, unknown>;
}

/**
 * One VolumeDriver call sent as dockerd sends it (POST, v1.2 Accept header, JSON body), ended by
 * `signal`. Resolves with whatever the plugin answered; the caller reads `Err`.
 */
export async function volumeCall(address: string, method: 'VolumeDriver.Mount' | 'VolumeDriver.Unmount', body: { Name: string; ID: string }, signal: AbortSignal): Promise<VolumeCallResult> {
  const r = await jsonCall(address, { method: 'POST', path: `/${method}`, headers: { Accept: PLUGIN_ACCEPT }, body: JSON.stringify(body), signal });
  let parsed = r.json;
  if (parsed === undefined) parsed = r.text.trim() === '' ? {} : { Err: `answer is not JSON: ${r.text.slice(0, 200)}` };
  return { status: r.status, body: (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown> };
}

/** The plugin's error text: `Err` on any status, or the status when it gave none. */
export function pluginFailure(r: VolumeCallResult): string | null {
  const err = typeof r.body.Err === 'string' ? r.body.Err : '';
  if (err) return err;
  if (r.status !== 200) return `HTTP ${r.status}`;
  return null;
}
