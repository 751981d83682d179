import { FileStore } from '../../store/file-store.js';
import type { CoordinationStore } from '../../store/store.js';
import { silentLogger, type Logger } from '../../logging/logger.js';
import { startPluginServer, type RunningPluginServer } from '../../plugin-sdk/index.js';
import { DatasetVolumeDriver } from './dataset-driver.js';

export interface DatasetVolumePluginOptions {
  /** Listen address: a socket path, `unix:///…` or `tcp://host:port`. */
  socket: string;
  host: string;
  dataDir: string;
  /** A file path (embedded FileStore) or a store instance. */
  store: string | CoordinationStore;
  moveDelayMs?: number;
  logger?: Logger;
}

export interface RunningDatasetVolumePlugin {
  readonly address: string;
  readonly driver: DatasetVolumeDriver;
  close(): Promise<void>;
}

/** Starts the dataset volume driver on its socket. `close()` stops serving and removes the socket. */
export async function startDatasetVolumePlugin(opts: DatasetVolumePluginOptions): Promise<RunningDatasetVolumePlugin> {
  const logger = opts.logger ?? silentLogger;
  const ownsStore = typeof opts.store === 'string';
  const store = typeof opts.store === 'string' ? new FileStore(opts.store) : opts.store;
  const driver = new DatasetVolumeDriver({ host: opts.host, dataDir: opts.dataDir, store, moveDelayMs: opts.moveDelayMs, logger });
  await driver.start();
  let server: RunningPluginServer;
  try {
    server = await startPluginServer(opts.socket, { kinds: ['volume'], handlers: driver.handlers(), logger });
  } catch (err) {
    if (ownsStore) await store.close();
    throw err;
  }
  logger.info({ address: server.address, host: opts.host, dataDir: driver.paths.root }, 'dataset volume driver listening');
  return {
    address: server.address,
    driver,
    async close() {
      await server.close();
      if (ownsStore) await store.close();
    },
  };
}
