import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { defineHook, type Hook } from '../chain/hook.js';
import { ORIGINAL_REPLY_KEY, type Exchange } from '../shim/exchange.js';
import { VERDICT_KEY, type PluginVerdict } from './validate-plugin.js';

export const STARTED_KEY = 'record.started';

/**
 * Appends every plugin exchange (both directions, timing, verdict) to an NDJSON file, one line per
 * call, for replay, offline `plugchain validate` and the conformance suite. It runs outermost, so
 * it records what dockerd finally received.
 */
export function recordHook(file: string): Hook & { close(): Promise<void> } {
  mkdirSync(dirname(file), { recursive: true });
  const out: WriteStream = createWriteStream(file, { flags: 'a' });
  const hook = defineHook({
    name: 'record',
    side: 'plugin',
    operations: '*',
    needsRequestBody: true,
    needsResponse: true,
    pre(ctx) {
      ctx.state.set(STARTED_KEY, performance.now());
    },
    post(ctx) {
      const verdict = (ctx.state.get(VERDICT_KEY) as PluginVerdict | undefined) ?? { request: [], response: [], enforced: false };
      const line: Exchange = {
        ts: new Date().toISOString(),
        plugin: ctx.params.plugin ?? '',
        method: ctx.operation,
        request: ctx.request.body ?? null,
        // What the plugin answered (an enforced error replaced it towards dockerd: see verdict).
        response: (ctx.state.get(ORIGINAL_REPLY_KEY) as Exchange['response'] | undefined) ?? { status: ctx.response!.status, body: ctx.response!.body ?? null },
        durationMs: Math.round((performance.now() - (ctx.state.get(STARTED_KEY) as number)) * 1000) / 1000,
        verdict,
      };
      out.write(`${JSON.stringify(line)}\n`);
    },
  });
  return { ...hook, close: () => new Promise<void>((resolve) => out.end(() => resolve())) };
}
