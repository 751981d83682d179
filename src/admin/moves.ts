/**
 * The move counter other modules call (chained volume moves, dataset moves), whether or not an
 * admin listener runs: without one the call is a no-op. The admin listener installs the sink.
 */
export type MoveOutcome = 'moved' | 'failed' | 'refused' | 'skipped' | (string & {});

export interface MoveSink {
  move(outcome: MoveOutcome, n: number): void;
}

let sink: MoveSink | null = null;

export const metrics = {
  moves: {
    /** Counts `n` (default 1) moves that ended with `outcome`. */
    inc(outcome: MoveOutcome, n = 1): void {
      sink?.move(outcome, n);
    },
  },
};

/** Installs the process-wide sink; returns the function that removes it again. */
export function installMoveSink(s: MoveSink): () => void {
  sink = s;
  return () => {
    if (sink === s) sink = null;
  };
}
