import { request } from 'undici';
import { PlugchainError } from '../errors/plugchain-error.js';
import { getSchemas, type SchemaRegistry } from '../schemas/registry.js';

/** One configured Powerstrip adapter, resolved. */
export interface AdapterTarget {
  readonly name: string;
  readonly url: string;
  readonly timeoutMs: number;
}

export type AdapterCallKind = 'pre-hook' | 'post-hook';

const RESPONSE_ID: Record<AdapterCallKind, string> = {
  'pre-hook': 'Powerstrip.PreHook.response',
  'post-hook': 'Powerstrip.PostHook.response',
};

export const DEFAULT_ADAPTER_TIMEOUT_MS = 10_000;

/** `plugchain: adapter <name>: …`, the prefix of every adapter failure a client sees. */
export function adapterError(adapter: string, status: 502 | 504 | number, text: string, cause?: unknown): PlugchainError {
  const code = status === 504 ? 'PLUGCHAIN_HOOK_TIMEOUT' : 'PLUGCHAIN_HOOK_FAILED';
  return new PlugchainError(code, `plugchain: adapter ${adapter}: ${text}`, { status, cause });
}

/**
 * POSTs one Powerstrip v1 message and returns the adapter's answer once it is known to be a valid
 * v1 message of the right kind. Never hangs: the call has the adapter's own deadline, and every
 * way it can go wrong is a PlugchainError a Docker client can read:
 * - unreachable, HTTP 5xx, not JSON, not a v1 answer → 502;
 * - HTTP 4xx → the adapter refused the request: its status and its text (as Powerstrip promised);
 * - no answer within timeoutMs → 504.
 */
export async function callAdapter(
  adapter: AdapterTarget,
  kind: AdapterCallKind,
  message: unknown,
  opts: { signal?: AbortSignal; limit: number; schemas?: SchemaRegistry },
): Promise<unknown> {
  const deadline = AbortSignal.timeout(adapter.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([deadline, opts.signal]) : deadline;
  const payload = JSON.stringify(message);
  let status: number;
  let text: string;
  try {
    const res = await request(adapter.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: payload,
      signal,
    });
    status = res.statusCode;
    text = await readLimited(res.body, opts.limit);
  } catch (err) {
    if (deadline.aborted) throw adapterError(adapter.name, 504, `no answer to the ${kind} within ${adapter.timeoutMs} ms (${adapter.url})`, err);
    const reason = describeNetworkError(err);
    throw adapterError(adapter.name, 502, `${kind} failed: ${reason} (${adapter.url})`, err);
  }
  if (status < 200 || status > 299) {
    const said = extractMessage(text);
    if (status >= 400 && status <= 499) throw adapterError(adapter.name, status, `refused the request (HTTP ${status}): ${said}`);
    throw adapterError(adapter.name, 502, `${kind} answered HTTP ${status}: ${said}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw adapterError(adapter.name, 502, `${kind} answer is not JSON: ${snippet(text)}`);
  }
  const schemas = opts.schemas ?? getSchemas();
  const violations = schemas.check(RESPONSE_ID[kind], doc);
  if (violations.length > 0) {
    const v = violations[0]!;
    throw adapterError(adapter.name, 502, `${kind} answer breaks Powerstrip protocol v1: ${v.pointer || '/'} ${v.rule}`);
  }
  return doc;
}

async function readLimited(body: AsyncIterable<Buffer> & { destroy(err?: Error): unknown }, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      throw new Error(`answer larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeNetworkError(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = e?.code ?? e?.cause?.code;
  const msg = e?.message ?? String(err);
  if (code === 'ECONNREFUSED') return 'unreachable (connection refused)';
  if (code === 'ENOTFOUND') return 'unreachable (host not found)';
  return code && !msg.includes(code) ? `${msg} (${code})` : msg;
}

/** The adapter's own words: `{"message"|"Err"|"error": …}` when it sent JSON, else the text. */
function extractMessage(text: string): string {
  try {
    const doc = JSON.parse(text) as Record<string, unknown>;
    for (const k of ['message', 'Err', 'Error', 'error']) if (typeof doc?.[k] === 'string') return doc[k] as string;
  } catch {
    /* plain text */
  }
  return snippet(text) || '(empty body)';
}

function snippet(text: string): string {
  const t = text.trim().replace(/\s+/g, ' ');
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}
