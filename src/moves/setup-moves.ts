import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { PlugchainConfig } from '../config/config.js';
import { parseAddress } from '../addresses/parse-address.js';
import { openStore } from '../store/open-store.js';
import type { CoordinationStore } from '../store/store.js';
import { MoveCoordinator } from './move-coordinator.js';
import { DatasetHolds } from './dataset-holds.js';
import { createControlHandler, type ControlHandler } from './control-api.js';
import { injectionFromEnv } from './failure-injection.js';

export interface MovesSetup {
  readonly handler: ControlHandler;
  readonly coordinator: MoveCoordinator | null;
  readonly self: string;
  close(): Promise<void>;
}

/**
 * Moves for one plugchain: the control API always (when `hosts` is set), the coordinator when a
 * store is configured too (config `store`, else the environment's PLUGCHAIN_STORE, which the lab
 * sets). This host's name is config `self`, else the `hosts` entry that is one of our listen
 * addresses, else PLUGCHAIN_HOST. Unfinished moves of this host are resumed in the background.
 */
export function setupMoves(config: PlugchainConfig, opts: { logger: Logger; listen: readonly string[]; upstream: string; env?: NodeJS.ProcessEnv }): MovesSetup | null {
  if (Object.keys(config.hosts ?? {}).length === 0) return null;
  const env = opts.env ?? process.env;
  const self = config.self ?? inferSelf(config.hosts, opts.listen) ?? (env.PLUGCHAIN_HOST && config.hosts[env.PLUGCHAIN_HOST] ? env.PLUGCHAIN_HOST : null);
  if (!self) throw new Error(`config: hosts is set but this plugchain is none of them; set "self" to its name (${Object.keys(config.hosts).join(', ')})`);
  const holds = new DatasetHolds(config.plugins);
  let store: CoordinationStore | null = null;
  let coordinator: MoveCoordinator | null = null;
  const storeUrl = config.store ?? env.PLUGCHAIN_STORE;
  if (storeUrl) {
    store = openStore(storeUrl);
    coordinator = new MoveCoordinator({
      self,
      hosts: config.hosts,
      sourceAddress: opts.upstream,
      store,
      plugins: config.plugins,
      volumeDrivers: config.chain?.volumeDrivers ?? config.plugins.map((p) => p.alias ?? p.name),
      networkDrivers: config.chain?.networkDrivers ?? config.plugins.map((p) => p.alias ?? p.name),
      logger: opts.logger.child({ component: 'moves' }),
      injection: injectionFromEnv(),
    });
    const c = coordinator;
    void c.resumeUnfinished().catch((err: Error) => opts.logger.error({ err: err.message }, 'could not resume unfinished moves'));
  }
  const handler = createControlHandler({ self, coordinator, holds, disabledReason: 'moves need a "store" in this host\'s config' });
  return {
    handler,
    coordinator,
    self,
    async close() {
      // A move in flight is journalled: whatever does not finish now is resumed at the next start.
      await Promise.race([coordinator?.idle(), new Promise((r) => setTimeout(r, 5_000).unref())]);
      await store?.close();
    },
  };
}

/** The `hosts` entry that names one of our own listen addresses. */
function inferSelf(hosts: Record<string, string>, listen: readonly string[]): string | null {
  const norm = (a: string) => {
    try {
      const p = parseAddress(a);
      return p.kind === 'unix' ? `unix://${resolve(p.path)}` : p.url;
    } catch {
      return a;
    }
  };
  const mine = new Set(listen.map(norm));
  return Object.entries(hosts).find(([, addr]) => mine.has(norm(addr)))?.[0] ?? null;
}
