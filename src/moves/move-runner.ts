import type { Logger } from 'pino';
import { MoveJournal, progressOf, type StepProgress } from './journal.js';
import { injectionKey, type FailureInjection } from './failure-injection.js';
import type { StepContext, StepDef } from './move-steps.js';
import type { MoveState, Phase, StepName } from './move-types.js';

export interface RunnerOptions {
  steps: readonly StepDef[];
  journal: MoveJournal;
  ctx: StepContext;
  injection: FailureInjection;
  log: Logger;
  /** Called on every state change (the coordinator updates the record and the lock). */
  onState(state: MoveState, error?: string): Promise<void>;
  /** Attempts for steps past the point of no return before the move is left `stuck`. */
  forwardAttempts?: number;
}

/**
 * Runs a move's step table against its journal: forward, rollback, and resume after a crash.
 * Every phase of every step is journalled as `started` before it runs and `done`/`failed` after.
 */
export class MoveRunner {
  constructor(private readonly o: RunnerOptions) {}

  /** A fresh move: every step from the first. */
  async run(): Promise<MoveState> {
    await this.o.journal.event('running');
    await this.o.onState('running');
    return this.forward(0);
  }

  /**
   * After a restart: read the journal and either finish the move or roll it back. The step that
   * was in flight (started, not done) decides, or the next step if the last one finished; a
   * rollback that had begun always continues.
   */
  async resume(): Promise<MoveState> {
    const entries = await this.o.journal.replay();
    const progress = progressOf(entries);
    await this.o.journal.event('resumed');
    const rollingBack = entries.some((e) => e.kind === 'move' && e.event === 'rolling-back') ||
      [...progress.values()].some((p) => p.undoStarted);
    if (rollingBack) return this.rollback('resumed an unfinished rollback', progress);
    const steps = this.o.steps;
    const next = steps.findIndex((s) => !progress.get(s.name)!.doDone);
    if (next === -1) return this.finish('done');
    if (steps[next]!.onCrash === 'resume') {
      this.o.log.info({ step: steps[next]!.name }, 'move resumed forward');
      await this.o.onState('running');
      return this.forward(next);
    }
    this.o.log.info({ step: steps[next]!.name }, 'move rolled back after a restart');
    return this.rollback(`plugchain restarted during the move (before ${steps[next]!.name} finished)`, progress);
  }

  private async forward(from: number): Promise<MoveState> {
    const steps = this.o.steps;
    for (let i = from; i < steps.length; i++) {
      const step = steps[i]!;
      const pastNoReturn = step.onCrash === 'resume';
      const attempts = pastNoReturn ? (this.o.forwardAttempts ?? 3) : 1;
      let lastError = '';
      for (let a = 1; a <= attempts; a++) {
        try {
          await this.phase(step, 'do');
          lastError = '';
          break;
        } catch (err) {
          lastError = (err as Error).message;
          if (a < attempts) await sleep(500 * a);
        }
      }
      if (!lastError) continue;
      if (pastNoReturn) {
        const msg = `${step.name} failed after the container started on host ${this.o.ctx.record.to}: ${lastError}`;
        await this.o.journal.event('stuck', msg);
        await this.o.onState('stuck', msg);
        return 'stuck';
      }
      return this.rollback(`${step.name} failed: ${lastError}`);
    }
    return this.finish('done');
  }

  private async rollback(reason: string, known?: Map<StepName, StepProgress>): Promise<MoveState> {
    this.o.log.warn({ reason }, 'move rolling back');
    await this.o.journal.event('rolling-back', reason);
    await this.o.onState('rolling-back', reason);
    const progress = known ?? progressOf(await this.o.journal.replay());
    const todo = [...this.o.steps].reverse().filter((s) => {
      const p = progress.get(s.name)!;
      return p.doStarted && !p.undoDone;
    });
    for (const step of todo) {
      if (!step.undo) {
        const msg = `${reason}; cannot roll back past ${step.name}`;
        await this.o.journal.event('stuck', msg);
        await this.o.onState('stuck', msg);
        return 'stuck';
      }
      try {
        await this.phase(step, 'undo');
      } catch (err) {
        const msg = `${reason}; rollback of ${step.name} failed: ${(err as Error).message}`;
        await this.o.journal.event('stuck', msg);
        await this.o.onState('stuck', msg);
        return 'stuck';
      }
    }
    return this.finish('rolled-back', reason);
  }

  private async phase(step: StepDef, phase: Phase): Promise<void> {
    const fn = phase === 'do' ? step.do : step.undo!;
    const key = injectionKey(step.name, phase);
    await this.o.journal.step(step.name, phase, 'started');
    let note: string | void;
    try {
      if (this.o.injection.failAt.has(key)) throw new Error(`injected failure at ${key} (PLUGCHAIN_MOVE_FAIL_AT, test only)`);
      note = await fn(this.o.ctx);
    } catch (err) {
      await this.o.journal.step(step.name, phase, 'failed', { error: (err as Error).message || String(err) });
      throw err;
    }
    await this.o.journal.step(step.name, phase, 'done', { note: note || undefined });
    if (this.o.injection.crashAfter.has(key)) {
      this.o.log.warn({ step: key }, 'PLUGCHAIN_MOVE_CRASH_AFTER: killing this process (test only)');
      process.kill(process.pid, 'SIGKILL');
      await sleep(60_000);
    }
  }

  private async finish(state: 'done' | 'rolled-back', error?: string): Promise<MoveState> {
    await this.o.journal.event(state, error);
    await this.o.onState(state, error);
    return state;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
