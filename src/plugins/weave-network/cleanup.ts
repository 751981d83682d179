import type { CoordinationStore } from '../../store/store.js';
import { FileStore } from '../../store/file-store.js';
import { Segment } from './segment.js';
import { segmentKeys, type EndpointRecord } from './segment-records.js';

export interface WeaveCleanupOptions {
  bridge: string;
  netns: string;
  store: string | CoordinationStore;
  /** Also drop the segment's records (networks, endpoints, pools, claims). Default true. */
  forgetState?: boolean;
}

export interface WeaveCleanupReport {
  veths: string[];
  bridgeRemoved: boolean;
  netnsRemoved: boolean;
  keysRemoved: number;
}

/**
 * Removes what the driver created for one segment, by the names it recorded: every endpoint's
 * veth pair, the bridge, the namespace when nothing else is left in it, and (by default) the
 * segment's records in the store. Safe to run twice, and with no plugin running.
 */
export async function cleanupWeaveNetwork(opts: WeaveCleanupOptions): Promise<WeaveCleanupReport> {
  const store = typeof opts.store === 'string' ? new FileStore(opts.store) : opts.store;
  try {
    const segment = new Segment(opts.netns, opts.bridge);
    const keys = segmentKeys(opts.bridge);
    const report: WeaveCleanupReport = { veths: [], bridgeRemoved: false, netnsRemoved: false, keysRemoved: 0 };
    for (const ep of await store.list<EndpointRecord>(keys.endpointsPrefix)) {
      await segment.removeVeth(ep.value.srcName, ep.value.hostEnd);
      report.veths.push(ep.value.srcName);
    }
    report.bridgeRemoved = segment.netnsExists() && (await segment.hasLink(opts.bridge));
    await segment.removeBridge();
    report.netnsRemoved = await segment.removeNetnsIfEmpty();
    if (opts.forgetState !== false) {
      for (const e of await store.list(keys.prefix)) {
        if (await store.compareAndDelete(e.key, e.revision)) report.keysRemoved++;
      }
    }
    return report;
  } finally {
    if (typeof opts.store === 'string') await store.close();
  }
}
