import type { CoordinationStore } from '../store/store.js';
import { checkJournalEntry } from './journal-schema.js';
import { moveKeys } from './store-keys.js';
import { STEP_NAMES, type JournalEntry, type MoveState, type Phase, type StepName, type StepReport, type StepStatus } from './move-types.js';

/**
 * The append-only journal of one move, in the coordination store. A step line is appended before
 * the step runs (`started`) and after it ends (`done` / `failed`), so that after a crash the last
 * line says exactly how far the move got.
 */
export class MoveJournal {
  constructor(private readonly store: CoordinationStore, readonly moveId: string) {}

  async step(step: StepName, phase: Phase, status: StepStatus, extra: { error?: string; note?: string } = {}): Promise<void> {
    await this.write({ kind: 'step', moveId: this.moveId, step, phase, status, at: now(), ...clean(extra) });
  }

  async event(event: 'accepted' | 'rolling-back' | 'resumed' | MoveState, error?: string): Promise<void> {
    await this.write({ kind: 'move', moveId: this.moveId, event, at: now(), ...clean({ error }) });
  }

  /** Every entry in append order, each checked against the schema. */
  async replay(): Promise<JournalEntry[]> {
    const entries = await this.store.list<unknown>(moveKeys.journalPrefix(this.moveId));
    return entries.map((e) => checkJournalEntry(e.value, e.key));
  }

  private async write(entry: JournalEntry): Promise<void> {
    checkJournalEntry(entry, `(new, move ${this.moveId})`);
    await this.store.append(moveKeys.journalPrefix(this.moveId), entry);
  }
}

/** What the journal says about each step: for the API, and for deciding how to resume. */
export interface StepProgress {
  doStarted: boolean;
  doDone: boolean;
  doFailed: boolean;
  undoStarted: boolean;
  undoDone: boolean;
  undoFailed: boolean;
}

export function progressOf(entries: JournalEntry[]): Map<StepName, StepProgress> {
  const out = new Map<StepName, StepProgress>();
  for (const name of STEP_NAMES) out.set(name, { doStarted: false, doDone: false, doFailed: false, undoStarted: false, undoDone: false, undoFailed: false });
  for (const e of entries) {
    if (e.kind !== 'step') continue;
    const p = out.get(e.step)!;
    if (e.phase === 'do') {
      if (e.status === 'started') { p.doStarted = true; p.doFailed = false; }
      if (e.status === 'done') { p.doDone = true; p.doFailed = false; }
      if (e.status === 'failed') p.doFailed = true;
    } else {
      if (e.status === 'started') { p.undoStarted = true; p.undoFailed = false; }
      if (e.status === 'done') { p.undoDone = true; p.undoFailed = false; }
      if (e.status === 'failed') p.undoFailed = true;
    }
  }
  return out;
}

/** Per-step states and timings (the last attempt of each phase). */
export function reportSteps(entries: JournalEntry[]): StepReport[] {
  const reports = new Map<StepName, StepReport>(STEP_NAMES.map((n) => [n, { name: n, state: 'pending' }]));
  for (const e of entries) {
    if (e.kind !== 'step') continue;
    const r = reports.get(e.step)!;
    if (e.note) r.note = e.note;
    if (e.phase === 'do') {
      if (e.status === 'started') {
        r.state = 'running';
        r.startedAt = e.at;
        delete r.finishedAt; delete r.ms; delete r.error;
      } else {
        r.state = e.status === 'done' ? 'done' : 'failed';
        r.finishedAt = e.at;
        if (r.startedAt) r.ms = Date.parse(e.at) - Date.parse(r.startedAt);
        if (e.error) r.error = e.error;
      }
    } else if (e.status === 'started') {
      r.state = 'undoing';
      r.undoStartedAt = e.at;
    } else {
      r.state = e.status === 'done' ? 'undone' : 'undo-failed';
      r.undoFinishedAt = e.at;
      if (r.undoStartedAt) r.undoMs = Date.parse(e.at) - Date.parse(r.undoStartedAt);
      if (e.error) r.error = e.error;
    }
  }
  return [...reports.values()];
}

const now = () => new Date().toISOString();

function clean<T extends Record<string, unknown>>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== '') (out as Record<string, unknown>)[k] = v;
  return out;
}
