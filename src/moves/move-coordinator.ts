import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { PluginUpstream } from '../config/config.js';
import type { CoordinationStore } from '../store/store.js';
import { updateEntry } from '../store/update-entry.js';
import { EngineClient } from './engine-client.js';
import { DatasetHolds, holdIdOf } from './dataset-holds.js';
import { RemoteHolds } from './remote-holds.js';
import { MoveJournal, reportSteps } from './journal.js';
import { MoveRunner } from './move-runner.js';
import { STEPS, type StepContext } from './move-steps.js';
import { planMove } from './move-plan.js';
import { notFound, refuse } from './move-errors.js';
import { NO_INJECTION, type FailureInjection } from './failure-injection.js';
import { moveKeys, type LockValue } from './store-keys.js';
import { FINAL_STATES, type MoveRecord, type MoveReport, type MoveState } from './move-types.js';

export interface MoveCoordinatorOptions {
  /** This host's name in `hosts`. */
  self: string;
  /** name → Engine API address of that host's plugchain (ours included). */
  hosts: Record<string, string>;
  /** Where this host's containers are read and stopped (our own dockerd, directly or through us). */
  sourceAddress: string;
  store: CoordinationStore;
  plugins: readonly PluginUpstream[];
  volumeDrivers: readonly string[];
  networkDrivers: readonly string[];
  logger: Logger;
  injection?: FailureInjection;
}

export interface MoveRequest {
  container: string;
  to: string;
  /** Seconds dockerd waits before it kills the container on stop (default 10). */
  stopTimeoutSec?: number;
}

/**
 * Moves containers from this host to another one, with their datasets and addresses. A move is
 * accepted (or refused) synchronously, runs in the background, and is followed through its
 * record and journal in the coordination store.
 */
export class MoveCoordinator {
  private readonly running = new Map<string, Promise<MoveState>>();
  private readonly holds: DatasetHolds;
  private readonly source: EngineClient;
  private readonly injection: FailureInjection;

  constructor(private readonly o: MoveCoordinatorOptions) {
    this.holds = new DatasetHolds(o.plugins);
    this.source = new EngineClient(o.sourceAddress);
    this.injection = o.injection ?? NO_INJECTION;
  }

  get self(): string {
    return this.o.self;
  }

  async start(req: MoveRequest): Promise<{ id: string; state: MoveState }> {
    const to = req.to;
    if (to === this.o.self) throw refuse(`${req.container} is already on host ${to}`);
    const targetAddress = this.o.hosts[to];
    if (!targetAddress) throw refuse(`unknown host ${to}; known hosts: ${Object.keys(this.o.hosts).join(', ') || 'none'}`);
    const id = `mv-${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
    const target = new EngineClient(targetAddress);
    // The lock first, by the container's canonical name: a second move of it is refused as such.
    const name = await canonicalName(this.source, req.container, this.o.self);
    const lockKey = moveKeys.lock(this.o.self, name);
    const lock = await this.o.store.compareAndSet<LockValue>(lockKey, { moveId: id, since: new Date().toISOString() }, 0);
    if (!lock) {
      const holder = await this.o.store.get<LockValue>(lockKey);
      throw refuse(`a move of ${name} is already in progress (${holder?.value.moveId ?? 'another move'})`);
    }
    let plan;
    try {
      plan = await planMove(this.planContext(to, target), name, id, req.stopTimeoutSec ?? 10);
    } catch (err) {
      await this.o.store.compareAndDelete(lockKey, lock.revision);
      throw err;
    }
    const at = new Date().toISOString();
    const record: MoveRecord = { id, container: plan.name, from: this.o.self, to, state: 'running', createdAt: at, updatedAt: at, plan };
    await this.o.store.compareAndSet(moveKeys.record(id), record, 0);
    await new MoveJournal(this.o.store, id).event('accepted');
    this.o.logger.info({ move: id, container: plan.name, from: this.o.self, to }, 'move accepted');
    this.launch(record, (runner) => runner.run());
    return { id, state: 'running' };
  }

  async get(id: string): Promise<MoveReport | null> {
    const rec = await this.o.store.get<MoveRecord>(moveKeys.record(id));
    if (!rec) return null;
    const entries = await new MoveJournal(this.o.store, id).replay();
    return { ...summary(rec.value), steps: reportSteps(entries) };
  }

  async list(): Promise<Array<Omit<MoveReport, 'steps'>>> {
    const recs = await this.o.store.list<MoveRecord>(moveKeys.recordsPrefix);
    return recs.map((r) => summary(r.value)).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** At start-up: every move of ours that did not end is resumed or rolled back (see STEPS). */
  async resumeUnfinished(): Promise<string[]> {
    const recs = await this.o.store.list<MoveRecord>(moveKeys.recordsPrefix);
    const open = recs.map((r) => r.value).filter((r) => r.from === this.o.self && !FINAL_STATES.includes(r.state) && !this.running.has(r.id));
    for (const rec of open) {
      this.o.logger.warn({ move: rec.id, container: rec.container, state: rec.state }, 'resuming an unfinished move');
      this.launch(rec, (runner) => runner.resume());
    }
    return open.map((r) => r.id);
  }

  /** Resolves when every move this process runs has stopped (done, rolled back or stuck). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.running.values()]);
  }

  private launch(record: MoveRecord, go: (r: MoveRunner) => Promise<MoveState>): void {
    const log = this.o.logger.child({ move: record.id, container: record.container });
    const target = new EngineClient(this.o.hosts[record.to] ?? 'unix:///nonexistent');
    const ctx: StepContext = {
      record, self: this.o.self, source: this.source, target, holds: this.holds, remote: new RemoteHolds(target),
      store: this.o.store, holdId: holdIdOf(record.id), log,
    };
    const runner = new MoveRunner({
      steps: STEPS,
      journal: new MoveJournal(this.o.store, record.id),
      ctx,
      injection: this.injection,
      log,
      onState: (state, error) => this.setState(record, state, error),
    });
    const done = go(runner).catch(async (err: Error) => {
      log.error({ err: err.message }, 'move runner failed');
      await this.setState(record, 'stuck', `plugchain: ${err.message}`).catch(() => undefined);
      return 'stuck' as MoveState;
    }).finally(() => this.running.delete(record.id));
    this.running.set(record.id, done);
    void done.then((state) => log.info({ state }, 'move ended'));
  }

  private async setState(record: MoveRecord, state: MoveState, error?: string): Promise<void> {
    await updateEntry<MoveRecord>(this.o.store, moveKeys.record(record.id), (cur) => {
      const base = cur ?? record;
      const next: MoveRecord = { ...base, state, updatedAt: new Date().toISOString() };
      if (error) next.error = error;
      else if (state === 'running' || state === 'done') delete next.error;
      return next;
    });
    if (FINAL_STATES.includes(state)) {
      await updateEntry<LockValue>(this.o.store, moveKeys.lock(record.from, record.container), (cur) => (cur && cur.moveId === record.id ? null : undefined));
    }
  }

  private planContext(to: string, target: EngineClient) {
    return {
      self: this.o.self, to, source: this.source, target, holds: this.holds, remote: new RemoteHolds(target), store: this.o.store,
      volumeDrivers: new Set(this.o.volumeDrivers), networkDrivers: new Set(this.o.networkDrivers),
    };
  }
}

async function canonicalName(source: EngineClient, container: string, self: string): Promise<string> {
  const r = await source.request<{ Name: string }>('GET', `/containers/${encodeURIComponent(container)}/json`);
  if (r.status === 404) throw notFound(`no such container on host ${self}: ${container}`);
  if (r.status !== 200) throw refuse(`cannot inspect ${container} on host ${self}: HTTP ${r.status}`);
  return r.body.Name.replace(/^\//, '');
}

function summary(r: MoveRecord): Omit<MoveReport, 'steps'> {
  return { id: r.id, container: r.container, from: r.from, to: r.to, state: r.state, createdAt: r.createdAt, updatedAt: r.updatedAt, ...(r.error ? { error: r.error } : {}) };
}
