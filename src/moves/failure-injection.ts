import { STEP_NAMES, type Phase, type StepName } from './move-types.js';

/**
 * TEST-ONLY failure injection for moves. Never set these in production.
 *
 *   PLUGCHAIN_MOVE_FAIL_AT=<step>:<do|undo>[,…]   the step's do (or undo) throws instead of running
 *   PLUGCHAIN_MOVE_CRASH_AFTER=<step>[:<do|undo>]  the process kills itself (SIGKILL) right after the
 *                                                   journal records that phase of the step as done
 *
 * They exist so that tests can prove the journal's promises: rollback from every step, and resume
 * or rollback after plugchain dies between any two steps.
 */
export interface FailureInjection {
  failAt: ReadonlySet<string>;
  crashAfter: ReadonlySet<string>;
}

export const NO_INJECTION: FailureInjection = { failAt: new Set(), crashAfter: new Set() };

export function injectionFromEnv(env: NodeJS.ProcessEnv = process.env): FailureInjection {
  return { failAt: parse(env.PLUGCHAIN_MOVE_FAIL_AT, 'PLUGCHAIN_MOVE_FAIL_AT'), crashAfter: parse(env.PLUGCHAIN_MOVE_CRASH_AFTER, 'PLUGCHAIN_MOVE_CRASH_AFTER') };
}

export const injectionKey = (step: StepName, phase: Phase) => `${step}:${phase}`;

function parse(value: string | undefined, name: string): Set<string> {
  const out = new Set<string>();
  for (const raw of (value ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const [step, phase = 'do'] = raw.split(':');
    if (!(STEP_NAMES as readonly string[]).includes(step!) || (phase !== 'do' && phase !== 'undo')) {
      throw new Error(`${name}: "${raw}" is not <step>:<do|undo> with step one of ${STEP_NAMES.join(', ')}`);
    }
    out.add(`${step}:${phase}`);
  }
  return out;
}
