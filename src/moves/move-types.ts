/**
 * The data of a move: what was planned from `docker inspect` on the source, what the journal
 * records, and what the API reports. Everything here is plain JSON so that it can live in the
 * coordination store and be checked against schemas/move-journal.json.
 */

/** The steps, in order. The table in move-steps.ts gives each one its do/undo. */
export const STEP_NAMES = [
  'fence',
  'stop-source',
  'release-address',
  'move-dataset',
  'claim-address',
  'start-target',
  'remove-source',
  'drop-lease',
] as const;
export type StepName = (typeof STEP_NAMES)[number];

export type MoveState = 'running' | 'rolling-back' | 'done' | 'rolled-back' | 'stuck';
export const FINAL_STATES: readonly MoveState[] = ['done', 'rolled-back'];

/** A chained volume of the container: a dataset of a volume plugin this plugchain fronts. */
export interface PlannedDataset {
  name: string;
  /** The driver name dockerd knows (plugin alias). */
  driver: string;
  destination: string;
}

/** One network endpoint of the container on the source, as it was before the move. */
export interface PlannedEndpoint {
  network: string;
  driver: string;
  /** IPv4 address without prefix; "" when the endpoint had none. */
  ip: string;
  prefixLen: number;
  /** True when the network's driver is a chained plugin: its address is pinned on the target. */
  chained: boolean;
  aliases: string[];
}

/** Everything a move needs to know, fixed when it is accepted (the source may be gone later). */
export interface MovePlan {
  containerId: string;
  name: string;
  image: string;
  datasets: PlannedDataset[];
  endpoints: PlannedEndpoint[];
  /** Engine API `POST /containers/create` body for the target, label of the move included. */
  createBody: Record<string, unknown>;
  stopTimeoutSec: number;
}

export interface MoveRecord {
  id: string;
  container: string;
  from: string;
  to: string;
  state: MoveState;
  createdAt: string;
  updatedAt: string;
  error?: string;
  plan: MovePlan;
}

export type Phase = 'do' | 'undo';
export type StepStatus = 'started' | 'done' | 'failed';

/** One line of the journal. Step lines are written before a step runs and after it ends. */
export type JournalEntry =
  | { kind: 'step'; moveId: string; step: StepName; phase: Phase; status: StepStatus; at: string; error?: string; note?: string }
  | { kind: 'move'; moveId: string; event: 'accepted' | 'rolling-back' | 'resumed' | MoveState; at: string; error?: string };

/** What GET /plugchain/v1/moves/<id> reports per step. */
export interface StepReport {
  name: StepName;
  state: 'pending' | 'running' | 'done' | 'failed' | 'undoing' | 'undone' | 'undo-failed';
  startedAt?: string;
  finishedAt?: string;
  ms?: number;
  undoStartedAt?: string;
  undoFinishedAt?: string;
  undoMs?: number;
  error?: string;
  note?: string;
}

/** What GET /plugchain/v1/moves/<id> reports: the record without its plan, with its steps. */
export type MoveReport = Omit<MoveRecord, 'plan'> & { steps: StepReport[] };

/** The label a move puts on the container it creates on the target (its only change to the config). */
export const MOVE_LABEL = 'io.plugchain.move';
