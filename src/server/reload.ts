import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import type { PlugchainConfig } from '../config/config.js';
import { loadConfigFile } from '../config/load-config.js';
import type { EngineProxy } from '../engine/engine-proxy.js';
import type { HookChain } from '../chain/runner.js';
import type { PlugchainMetrics } from '../admin/metrics.js';
import { buildEngineChain } from './build-chain.js';

/**
 * Keys a reload applies: everything the engine hook chain is built from, and the log level.
 * New requests use the new chain; requests in flight, open streams and hijacked sessions keep
 * theirs (EngineProxy.setChain only swaps a reference).
 */
export const RELOADABLE_KEYS = ['logLevel', 'validation.engine', 'hooks', 'adapters', 'chain', 'hosts'] as const;

/**
 * Keys bound to sockets, connections or objects made at start: a change is reported and waits
 * for a restart. They are never half-applied (no new listener beside the old one).
 */
export const RESTART_KEYS = [
  'listen', 'upstream', 'upstreamTls', 'tls', 'socketMode', 'unknownOperations', 'bodyLimit',
  'pluginDir', 'specDir', 'plugins', 'validation.plugins', 'stateDir', 'admin',
] as const;

type KeyPath = (typeof RELOADABLE_KEYS)[number] | (typeof RESTART_KEYS)[number];

export interface ReloadResult {
  ok: boolean;
  /** Why the file was refused (the running config stays). */
  error?: string;
  /** Reloadable keys whose value changed and now apply. */
  applied: string[];
  /** Keys that changed in the file but need a restart; the running values stay. */
  needsRestart: string[];
}

export interface ReloaderOptions {
  configPath: string;
  /** The effective config the server runs with now. */
  current: PlugchainConfig;
  engine: Pick<EngineProxy, 'setChain'>;
  logger: Logger;
  metrics?: PlugchainMetrics | null;
  /** Command-line flags win over the file, at start and on every reload. */
  applyOverrides?: (config: PlugchainConfig) => PlugchainConfig;
  /** Defaults: loadConfigFile and buildEngineChain. */
  load?: (path: string) => PlugchainConfig;
  buildChain?: (config: PlugchainConfig, logger: Logger) => HookChain;
}

/**
 * SIGHUP handling: re-read the config file, check it completely (schema, then the chain is built)
 * before anything changes, then swap the engine chain and the log level in one step. A file that
 * fails anywhere changes nothing; the error is logged and the old config keeps serving.
 */
export class ConfigReloader {
  private running: PlugchainConfig;

  constructor(private readonly opts: ReloaderOptions) {
    this.running = opts.current;
  }

  get config(): PlugchainConfig {
    return this.running;
  }

  reload(): ReloadResult {
    const { logger: log, configPath } = this.opts;
    const old = this.running;
    let next: PlugchainConfig;
    let chain: HookChain;
    try {
      const fromFile = (this.opts.load ?? loadConfigFile)(configPath);
      const wanted = this.opts.applyOverrides ? this.opts.applyOverrides(fromFile) : fromFile;
      next = merge(old, wanted);
      chain = (this.opts.buildChain ?? buildEngineChain)(next, log);
      const needsRestart = RESTART_KEYS.filter((k) => !isDeepStrictEqual(get(old, k), get(wanted, k)));
      const applied = RELOADABLE_KEYS.filter((k) => !isDeepStrictEqual(get(old, k), get(next, k)));
      const metrics = this.opts.metrics;
      this.opts.engine.setChain(metrics ? metrics.instrument(chain, 'engine') : chain);
      if (next.logLevel !== old.logLevel) log.level = next.logLevel;
      this.running = next;
      metrics?.reloaded('applied');
      log.info({ config: configPath, applied, validation: next.validation.engine, logLevel: next.logLevel }, 'config reloaded: new requests use it; open streams and sessions keep going');
      if (needsRestart.length > 0) {
        log.warn({ config: configPath, needsRestart }, `config reload: ${needsRestart.join(', ')} changed but need a restart; still running with the old values`);
      }
      return { ok: true, applied: [...applied], needsRestart: [...needsRestart] };
    } catch (err) {
      const message = (err as Error).message;
      this.opts.metrics?.reloaded('rejected');
      log.error({ config: configPath, err: message }, 'config reload failed: keeping the running config');
      return { ok: false, error: message, applied: [], needsRestart: [] };
    }
  }
}

/** The running config with only the reloadable keys taken from the new one. */
function merge(old: PlugchainConfig, wanted: PlugchainConfig): PlugchainConfig {
  return {
    ...old,
    logLevel: wanted.logLevel,
    validation: { ...old.validation, engine: wanted.validation.engine },
    hooks: wanted.hooks,
    adapters: wanted.adapters,
    chain: wanted.chain,
    hosts: wanted.hosts,
  };
}

function get(config: PlugchainConfig, key: KeyPath): unknown {
  let v: unknown = config;
  for (const part of key.split('.')) v = (v as Record<string, unknown> | undefined)?.[part];
  return v;
}
