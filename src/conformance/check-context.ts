import { randomBytes } from 'node:crypto';
import type { PluginKind } from '../protocols/methods.js';
import { describeAnswer, readAnswer } from './answer-rules.js';
import type { PluginClient } from './plugin-client.js';
import type { Check, CheckContext, SchemaSource, CheckResult, Exchange, Failure } from './types.js';

export class CheckFailed extends Error {
  constructor(readonly failure: Omit<Failure, 'evidence'> & { evidence?: Exchange[] }) {
    super(failure.message);
  }
}

export class CheckSkipped extends Error {}

/** Shared by all checks of one run. */
export interface RunState {
  client: PluginClient;
  runTag: string;
  kinds: PluginKind[];
  implementsList: string[];
  localPaths: boolean;
  timeoutMs: number;
  traffic: Exchange[];
  schemas: SchemaSource | null;
}

export function newRunTag(): string {
  return randomBytes(3).toString('hex');
}

const MAX_EVIDENCE = 12;

/** Runs one check with its own context: records its exchanges, runs its clean-ups, maps throws to a result. */
export async function runCheck(check: Check, state: RunState): Promise<CheckResult> {
  const own: Exchange[] = [];
  const notes: string[] = [];
  const cleanups: Array<{ label: string; work: () => Promise<unknown> }> = [];
  let seq = 0;
  let cleaningUp = false;
  const send = async (checkId: string, method: string, body?: unknown): Promise<Exchange> => {
    const ex = await state.client.call(checkId, method, body);
    state.traffic.push(ex);
    return ex;
  };
  const ctx: CheckContext = {
    checkId: check.id,
    kinds: state.kinds,
    implementsList: state.implementsList,
    localPaths: state.localPaths,
    timeoutMs: state.timeoutMs,
    traffic: state.traffic,
    schemas: state.schemas,
    async call(method, body) {
      const ex = await send(cleaningUp ? `${check.id} (clean-up)` : check.id, method, body);
      own.push(ex);
      return ex;
    },
    async ok(method, body) {
      const ex = await ctx.call(method, body);
      const a = readAnswer(ex);
      if (a.kind !== 'success') ctx.fail(`${method} did not succeed: ${describeAnswer(a)}`, `${method} answers HTTP 200 with a JSON object and no error`);
      return a.body;
    },
    name: (suffix) => `plugchain-conform-${state.runTag}-${suffix}-${++seq}`,
    hexId: () => randomBytes(32).toString('hex'),
    note: (text) => void notes.push(text),
    defer: (label, work) => void cleanups.push({ label, work }),
    fail(message, expected, evidence) {
      throw new CheckFailed({ message, expected, evidence });
    },
    skip(reason) {
      throw new CheckSkipped(reason);
    },
  };
  const started = performance.now();
  let status: CheckResult['status'] = 'pass';
  let failure: Failure | undefined;
  try {
    await check.run(ctx);
  } catch (err) {
    if (err instanceof CheckSkipped) {
      status = 'skip';
      notes.unshift(err.message);
    } else {
      status = 'fail';
      const f = err instanceof CheckFailed ? err.failure : { message: `check crashed: ${(err as Error)?.stack ?? String(err)}` };
      failure = { message: f.message, expected: f.expected, evidence: (f.evidence ?? own).slice(-MAX_EVIDENCE) };
    }
  }
  cleaningUp = true;
  for (const c of cleanups.reverse()) {
    try {
      await c.work();
    } catch (err) {
      notes.push(`clean-up "${c.label}" failed: ${err instanceof CheckFailed ? err.failure.message : (err as Error).message}`);
    }
  }
  return {
    id: check.id,
    family: check.family,
    title: check.title,
    rule: check.rule,
    source: check.source,
    status,
    notes,
    failure,
    durationMs: Math.round(performance.now() - started),
  };
}

