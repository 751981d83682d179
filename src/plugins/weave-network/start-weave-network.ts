import { hostname } from 'node:os';
import { FileStore } from '../../store/file-store.js';
import type { CoordinationStore } from '../../store/store.js';
import { silentLogger, type Logger } from '../../logging/logger.js';
import { startPluginServer, type RunningPluginServer } from '../../plugin-sdk/index.js';
import { Segment } from './segment.js';
import { segmentKeys } from './segment-records.js';
import { WeaveIpam } from './ipam-driver.js';
import { WeaveNetworkDriver } from './network-driver.js';

export interface WeaveNetworkPluginOptions {
  /** Listen address: a socket path, `unix:///…` or `tcp://host:port`. */
  socket: string;
  /** Bridge name (≤ 15 characters); also the segment's identity in the store. */
  bridge: string;
  /** Network namespace that holds the bridge (created when missing). */
  netns: string;
  store: string | CoordinationStore;
  poolRange?: string;
  poolPrefix?: number;
  /** This lab host's name, recorded with networks and endpoints. */
  host?: string;
  logger?: Logger;
}

export interface RunningWeaveNetworkPlugin {
  readonly address: string;
  readonly network: WeaveNetworkDriver;
  readonly ipam: WeaveIpam;
  close(): Promise<void>;
}

/**
 * Starts one process that is both the NetworkDriver and the IpamDriver (Implements lists both).
 * `close()` stops serving and removes the socket; networks, endpoints and the bridge stay (the
 * daemon still uses them) until DeleteNetwork or cleanupWeaveNetwork().
 */
export async function startWeaveNetworkPlugin(opts: WeaveNetworkPluginOptions): Promise<RunningWeaveNetworkPlugin> {
  const logger = opts.logger ?? silentLogger;
  const ownsStore = typeof opts.store === 'string';
  const store = typeof opts.store === 'string' ? new FileStore(opts.store) : opts.store;
  const keys = segmentKeys(opts.bridge);
  const segment = new Segment(opts.netns, opts.bridge);
  const network = new WeaveNetworkDriver({ store, keys, segment, host: opts.host ?? hostname(), logger });
  const ipam = new WeaveIpam({ store, keys, poolRange: opts.poolRange, poolPrefix: opts.poolPrefix, logger });
  let server: RunningPluginServer;
  try {
    await network.start();
    server = await startPluginServer(opts.socket, {
      kinds: ['network', 'ipam'],
      handlers: { ...network.handlers(), ...ipam.handlers() },
      logger,
    });
  } catch (err) {
    if (ownsStore) await store.close();
    throw err;
  }
  logger.info({ address: server.address, bridge: opts.bridge, netns: opts.netns }, 'network + IPAM driver listening');
  return {
    address: server.address,
    network,
    ipam,
    async close() {
      await server.close();
      if (ownsStore) await store.close();
    },
  };
}
