/**
 * Where moves keep their state in the coordination store (prefix `moves/`):
 *   moves/records/<id>            MoveRecord: summary and plan, for listing and resuming
 *   moves/journal/<id>/<seq>      JournalEntry, append-only
 *   moves/locks/<host>/<name>     { moveId }: one move per container at a time
 *   moves/leases/<dataset>        { moveId, container, from, to, since }: the move's fence on a dataset
 *   moves/addresses/<ip>          { moveId, container, holder, since }: an address between two hosts
 */
export const moveKeys = {
  record: (id: string) => `moves/records/${id}`,
  recordsPrefix: 'moves/records/',
  journalPrefix: (id: string) => `moves/journal/${id}/`,
  lock: (host: string, container: string) => `moves/locks/${host}/${container}`,
  lease: (dataset: string) => `moves/leases/${dataset}`,
  address: (ip: string) => `moves/addresses/${ip}`,
};

export interface LockValue {
  moveId: string;
  since: string;
}

export interface LeaseValue {
  moveId: string;
  container: string;
  from: string;
  to: string;
  since: string;
}

export interface AddressClaim {
  moveId: string;
  container: string;
  /** `released`: left the source, not yet claimed; otherwise the host that holds it for the move. */
  holder: string;
  since: string;
}
