import { PlugchainError, toPlugchainError } from '../errors/plugchain-error.js';
import type { Hook, HookContext } from './hook.js';

/**
 * The hooks bound to one operation, precomputed at start. `null` plans mean "nothing to do" and let
 * the proxy stream the request untouched.
 */
export interface ChainPlan {
  readonly hooks: readonly Hook[];
  readonly needsRequestBody: boolean;
  readonly needsResponse: boolean;
}

export class HookChain {
  private readonly plans = new Map<string, ChainPlan | null>();
  constructor(private readonly hooks: readonly Hook[]) {}

  /** The plan for one operation (cached); null when no hook applies. */
  planFor(operation: string): ChainPlan | null {
    let plan = this.plans.get(operation);
    if (plan !== undefined) return plan;
    const hooks = this.hooks.filter((h) => h.operations === '*' || h.operations.includes(operation));
    plan = hooks.length === 0
      ? null
      : Object.freeze({
          hooks,
          needsRequestBody: hooks.some((h) => h.needsRequestBody),
          needsResponse: hooks.some((h) => h.needsResponse),
        });
    this.plans.set(operation, plan);
    return plan;
  }
}

export interface PreOutcome {
  /** Hooks whose `pre` completed, in order: these get `post` (reversed) and, on failure, `undo`. */
  readonly ran: readonly Hook[];
  /** True when a pre-hook answered the request itself (ctx.response is set). */
  readonly answered: boolean;
}

type Stage = 'pre' | 'post' | 'undo';

/** Runs one hook stage with its timeout; a timeout or throw becomes a PlugchainError. */
async function runStage(hook: Hook, stage: Stage, ctx: HookContext): Promise<void> {
  const fn = hook[stage];
  if (!fn) return;
  const controller = new AbortController();
  // Hooks mutate ctx itself (request rewrites, ctx.response): hand them the real object, with this
  // stage's signal.
  (ctx as { signal: AbortSignal }).signal = controller.signal;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new PlugchainError('PLUGCHAIN_HOOK_TIMEOUT', `plugchain: hook ${hook.name} (${stage}) timed out after ${hook.timeoutMs} ms`));
    }, hook.timeoutMs);
  });
  try {
    await Promise.race([Promise.resolve().then(() => fn.call(hook, ctx)), timeout]);
  } catch (err) {
    const e = toPlugchainError(err);
    if (!PlugchainError.is(err)) e.message = `plugchain: hook ${hook.name} (${stage}) failed: ${e.message}`;
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Pre-hooks in order. A failure undoes the hooks that already ran (in reverse) and rethrows; a
 * hook that sets ctx.response answers the request and stops the walk.
 */
export async function runPre(hooks: readonly Hook[], ctx: HookContext): Promise<PreOutcome> {
  const ran: Hook[] = [];
  for (const hook of hooks) {
    try {
      await runStage(hook, 'pre', ctx);
    } catch (err) {
      await runUndo(ran, ctx);
      throw err;
    }
    ran.push(hook);
    if (ctx.response) return { ran, answered: true };
  }
  return { ran, answered: false };
}

/** Post-hooks in reverse order (the onion). A failure undoes every hook that ran. */
export async function runPost(ran: readonly Hook[], ctx: HookContext): Promise<void> {
  for (let i = ran.length - 1; i >= 0; i--) {
    try {
      await runStage(ran[i]!, 'post', ctx);
    } catch (err) {
      await runUndo(ran, ctx);
      throw err;
    }
  }
}

/** Undo in reverse order; an undo that fails is logged, never masks the original error. */
export async function runUndo(ran: readonly Hook[], ctx: HookContext): Promise<void> {
  for (let i = ran.length - 1; i >= 0; i--) {
    const hook = ran[i]!;
    try {
      await runStage(hook, 'undo', ctx);
    } catch (err) {
      ctx.log.error({ hook: hook.name, err: (err as Error).message }, 'hook undo failed');
    }
  }
}
