import type { CoordinationStore } from '../../store/store.js';
import { updateEntry } from '../../store/update-entry.js';
import { activeMounts, type DatasetKeys, type MountLease } from './dataset-records.js';

/** Error text when another host holds the dataset; refusals are plain plugin errors. */
function inUse(name: string, lease: MountLease): Error {
  return new Error(lease.removing
    ? `dataset ${name} is being removed by host ${lease.host}`
    : `dataset ${name} is in use on host ${lease.host} (${activeMounts(lease)} active mount(s)); unmount it there first`);
}

/** Counts one more mount of (name, id) by `host`, creating the lease if nobody holds it. */
export async function acquireMount(store: CoordinationStore, keys: DatasetKeys, name: string, id: string, host: string): Promise<{ created: boolean }> {
  let created = false;
  await updateEntry<MountLease>(store, keys.lease(name), (cur) => {
    if (cur && (cur.host !== host || cur.removing)) throw inUse(name, cur);
    created = !cur;
    const next: MountLease = cur ? { ...cur, mounts: { ...cur.mounts } } : { host, mounts: {}, since: new Date().toISOString() };
    next.mounts[id] = (next.mounts[id] ?? 0) + 1;
    return next;
  });
  return { created };
}

/**
 * Counts one mount of (name, id) by `host` less; drops the lease when none is left. Tolerant:
 * an unknown ID or a lease of another host changes nothing (Unmount after an unclean restart).
 */
export async function releaseMount(store: CoordinationStore, keys: DatasetKeys, name: string, id: string, host: string): Promise<void> {
  await updateEntry<MountLease>(store, keys.lease(name), (cur) => {
    if (!cur || cur.host !== host || !cur.mounts[id]) return undefined;
    const mounts = { ...cur.mounts };
    const left = (mounts[id] ?? 0) - 1;
    if (left <= 0) delete mounts[id];
    else mounts[id] = left;
    const next = { ...cur, mounts };
    return activeMounts(next) === 0 ? null : next;
  });
}

/** Takes the lease for removal; fails if any host has the dataset mounted. */
export async function acquireRemoval(store: CoordinationStore, keys: DatasetKeys, name: string, host: string): Promise<void> {
  await updateEntry<MountLease>(store, keys.lease(name), (cur) => {
    if (cur) throw inUse(name, cur);
    return { host, mounts: {}, since: new Date().toISOString(), removing: true };
  });
}

export async function dropRemoval(store: CoordinationStore, keys: DatasetKeys, name: string, host: string): Promise<void> {
  await updateEntry<MountLease>(store, keys.lease(name), (cur) => (cur && cur.host === host && cur.removing ? null : undefined));
}
