import type { Logger } from 'pino';
import type { PlugchainConfig } from '../config/config.js';
import { HookChain } from '../chain/runner.js';
import type { Hook } from '../chain/hook.js';
import { validateEngineHook } from '../hooks/validate-engine.js';

/**
 * Builds the engine-side hook chain from the config (validate, adapters, chain profiles).
 * `validate` runs first, so later hooks only ever see bodies that conform.
 */
export function buildEngineChain(config: PlugchainConfig, logger: Logger): HookChain {
  const hooks: Hook[] = [];
  const mode = config.validation.engine;
  if (mode !== 'off') hooks.push(validateEngineHook({ mode }));
  logger.debug({ hooks: hooks.map((h) => h.name), validation: mode }, 'engine hook chain');
  return new HookChain(hooks);
}
