import { PlugchainError } from '../errors/plugchain-error.js';
import type { Hook, HookContext, HookRequest } from './hook.js';
import { runPre, runUndo, type ChainPlan, type PreOutcome } from './runner.js';

/** Where a rewritten request goes: its operation, or why plugchain will not forward it. */
export type RerouteVerdict =
  | { ok: true; operation: string; params: Readonly<Record<string, string>> }
  | { ok: false; reason: string };

export interface RoutedPreOptions {
  plan: ChainPlan;
  /** The plan of another operation (the chain the request started with). */
  planFor(operation: string): ChainPlan | null;
  /** Routes a rewritten request line (path with its version prefix, plus query). */
  route(method: string, url: string): RerouteVerdict;
}

export interface RoutedPreOutcome extends PreOutcome {
  /** The operation the request ends up as (differs from the original after a re-route). */
  readonly operation: string;
}

const VALIDATE = 'validate';

/**
 * Pre-hooks in order, like `runPre`, with the rewrite contract on top:
 * - when a hook changes the request line (method, path or query), the request is routed again;
 *   if it is now another operation, `ctx.operation`/`ctx.params` change and the hooks of the new
 *   operation's plan that have not run yet run next (in chain order), so later hooks see the
 *   operation that will actually reach dockerd;
 * - when a hook changes the request after `validate` ran, `validate` runs again, so the schema
 *   always judges the request as forwarded;
 * - a request line plugchain would refuse from a client (non-canonical path, hijacked operation,
 *   denied unknown operation) fails with 502 naming the hook.
 * A failure undoes the hooks that ran, in reverse, as `runPre` does.
 */
export async function runPreRouted(ctx: HookContext, opts: RoutedPreOptions): Promise<RoutedPreOutcome> {
  const done = new Set<Hook>();
  const ran: Hook[] = [];
  let plan: ChainPlan = opts.plan;
  let seen = snapshot(ctx.request);
  const fail = async (err: unknown): Promise<never> => {
    await runUndo(ran, ctx);
    throw err;
  };
  for (;;) {
    let restarted = false;
    for (const hook of plan.hooks) {
      if (done.has(hook)) continue;
      const outcome = await runPre([hook], ctx).catch(fail);
      done.add(hook);
      if (!ran.includes(hook)) ran.push(hook);
      if (outcome.answered) return { ran, answered: true, operation: ctx.operation };
      const now = snapshot(ctx.request);
      if (sameRequest(seen, now)) continue;
      const lineChanged = now.method !== seen.method || now.path !== seen.path || now.query !== seen.query;
      seen = now;
      for (const h of done) if (h.name === VALIDATE && h !== hook) done.delete(h);
      if (lineChanged) {
        const url = now.query ? `${now.path}?${now.query}` : now.path;
        const verdict = opts.route(now.method, url);
        if (!verdict.ok) {
          await fail(new PlugchainError('PLUGCHAIN_HOOK_FAILED', `plugchain: hook ${hook.name} rewrote the request to ${now.method} ${url}, which plugchain refuses: ${verdict.reason}`, { status: 502 }));
        } else if (verdict.operation !== ctx.operation) {
          ctx.log.info({ hook: hook.name, from: ctx.operation, to: verdict.operation }, 'request rewritten into another operation: re-routed');
          const c = ctx as { operation: string; params: Readonly<Record<string, string>> };
          c.operation = verdict.operation;
          c.params = verdict.params;
          plan = opts.planFor(verdict.operation) ?? { hooks: [], needsRequestBody: false, needsResponse: false };
        }
      }
      restarted = true;
      break;
    }
    if (!restarted) return { ran, answered: false, operation: ctx.operation };
  }
}

interface RequestSnapshot {
  method: string;
  path: string;
  query: string;
  body: unknown;
}

function snapshot(r: HookRequest): RequestSnapshot {
  return { method: r.method, path: r.path, query: r.query, body: r.body };
}

function sameRequest(a: RequestSnapshot, b: RequestSnapshot): boolean {
  return a.method === b.method && a.path === b.path && a.query === b.query && a.body === b.body;
}
