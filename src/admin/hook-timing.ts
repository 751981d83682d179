import { HookChain, type ChainPlan } from '../chain/runner.js';
import type { Hook, HookContext, Side } from '../chain/hook.js';

export type HookStage = 'pre' | 'post' | 'undo';

/** Receives one measurement per hook stage that ran. */
export interface HookTimingSink {
  hookDone(h: { hook: string; stage: HookStage; side: Side; seconds: number; failed: boolean }): void;
}

/**
 * A chain that behaves exactly like `inner` but times every hook stage. It wraps hooks, not the
 * runner, so the runner, the proxy and the shim stay unaware of metrics; a chain that nobody
 * instruments costs nothing. A stage that the runner abandons on timeout is reported when the
 * hook's own promise settles.
 */
export class TimedHookChain extends HookChain {
  private readonly timedPlans = new Map<string, ChainPlan | null>();

  constructor(private readonly inner: HookChain, private readonly side: Side, private readonly sink: HookTimingSink) {
    super([]);
  }

  override planFor(operation: string): ChainPlan | null {
    let plan = this.timedPlans.get(operation);
    if (plan !== undefined) return plan;
    const base = this.inner.planFor(operation);
    plan = base === null ? null : Object.freeze({ ...base, hooks: base.hooks.map((h) => this.wrap(h)) });
    this.timedPlans.set(operation, plan);
    return plan;
  }

  private wrap(hook: Hook): Hook {
    const timed = (stage: HookStage) => {
      const fn = hook[stage];
      if (!fn) return undefined;
      return async (ctx: HookContext): Promise<void> => {
        const t0 = performance.now();
        let failed = false;
        try {
          await fn.call(hook, ctx);
        } catch (err) {
          failed = true;
          throw err;
        } finally {
          this.sink.hookDone({ hook: hook.name, stage, side: this.side, seconds: (performance.now() - t0) / 1000, failed });
        }
      };
    };
    return Object.freeze({ ...hook, pre: timed('pre'), post: timed('post'), undo: timed('undo') });
  }
}

/** Wraps `chain` for timing; a null sink leaves it as it is. */
export function instrumentChain(chain: HookChain, side: Side, sink: HookTimingSink | null | undefined): HookChain {
  return sink ? new TimedHookChain(chain, side, sink) : chain;
}
