import type { Violation } from '../schemas/registry.js';

/** ctx.state key under which the shim keeps the plugin's own answer (before any enforcement). */
export const ORIGINAL_REPLY_KEY = 'shim.original';

/** One dockerd ↔ plugin call as plugchain saw it; also the NDJSON record format. */
export interface Exchange {
  ts: string;
  plugin: string;
  method: string;
  request: unknown;
  response: { status: number; body: unknown };
  durationMs: number;
  verdict: { request: Violation[]; response: Violation[]; enforced: boolean };
}

/** Reads a plugin's raw answer the way dockerd would: JSON if it parses, else the text. */
export function parseReplyBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
