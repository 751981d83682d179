/**
 * What the dataset driver keeps in the coordination store. Layout (prefix default `flocker/`):
 *   <prefix>datasets/<name> → DatasetRecord   (one owner host per dataset)
 *   <prefix>leases/<name>   → MountLease      (present while a host has the dataset mounted,
 *                                              or while a host is removing it)
 */
export interface DatasetRecord {
  name: string;
  /** The host whose data directory holds the dataset. */
  owner: string;
  /** RFC 3339. */
  createdAt: string;
  opts: Record<string, string>;
  /** Set by the last move. */
  movedAt?: string;
  movedFrom?: string;
}

export interface MountLease {
  host: string;
  /** Active mounts per mount ID; the same ID may be mounted more than once (P11). */
  mounts: Record<string, number>;
  since: string;
  /** The holder is removing the dataset. */
  removing?: boolean;
}

export interface DatasetKeys {
  dataset(name: string): string;
  lease(name: string): string;
  datasetsPrefix: string;
}

export function datasetKeys(prefix = 'flocker/'): DatasetKeys {
  return {
    dataset: (name) => `${prefix}datasets/${name}`,
    lease: (name) => `${prefix}leases/${name}`,
    datasetsPrefix: `${prefix}datasets/`,
  };
}

export function activeMounts(lease: MountLease | null): number {
  return lease ? Object.values(lease.mounts).reduce((a, b) => a + b, 0) : 0;
}
