import { METHODS, SUBSYSTEMS } from '../protocols/methods.js';
import type { Exchange } from './types.js';

/**
 * How dockerd reads an answer (plugin-protocols.md §1.4): only HTTP 200 is success; the 200 body is
 * decoded into a Go struct (so it must be a JSON object or `null`); on 200 the error sits in the
 * subsystem's key (`Err`, IPAM `Error`, none for authz); on non-200 it is `{"Err"}` or the raw body.
 */
const ERROR_KEY = new Map<string, 'Err' | 'Error' | null>(
  METHODS.map((m) => [m.name, m.kind === 'activate' ? null : SUBSYSTEMS[m.kind].errorKeyOn200]),
);

export function errorKeyOn200(method: string): 'Err' | 'Error' | null {
  return ERROR_KEY.get(method) ?? 'Err';
}

export type Answer =
  | { kind: 'success'; body: Record<string, unknown> }
  | { kind: 'error'; how: 'error-key-on-200' | 'non-200'; text: string }
  | { kind: 'broken'; problem: string };

/** Classifies one exchange as dockerd would see it. */
export function readAnswer(ex: Exchange): Answer {
  if (ex.transportError !== undefined) return { kind: 'broken', problem: `no HTTP answer: ${ex.transportError}` };
  if (ex.status !== 200) {
    const err = errString(ex.json, 'Err');
    return { kind: 'error', how: 'non-200', text: `HTTP ${ex.status}: ${err ?? (ex.text ?? '').slice(0, 200)}` };
  }
  if (ex.parseError !== undefined) return { kind: 'broken', problem: `HTTP 200 with ${ex.parseError}` };
  const v = ex.json;
  if (v !== null && (typeof v !== 'object' || Array.isArray(v))) {
    return { kind: 'broken', problem: `HTTP 200 with a JSON ${Array.isArray(v) ? 'array' : typeof v}; dockerd decodes the body into a struct and fails` };
  }
  const key = errorKeyOn200(ex.method);
  const err = key === null ? undefined : errString(v, key);
  if (err !== undefined) return { kind: 'error', how: 'error-key-on-200', text: `${key}: ${err}` };
  return { kind: 'success', body: (v ?? {}) as Record<string, unknown> };
}

/** A non-empty string under `key` (exact case), else undefined. */
export function errString(v: unknown, key: string): string | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const s = (v as Record<string, unknown>)[key];
  return typeof s === 'string' && s !== '' ? s : undefined;
}

export function describeAnswer(a: Answer): string {
  switch (a.kind) {
    case 'success':
      return 'success';
    case 'error':
      return `an error (${a.text})`;
    case 'broken':
      return a.problem;
  }
}
