import type { Logger } from 'pino';
import type { HookBinding, PlugchainConfig, PowerstripAdapter } from '../config/config.js';
import { HookChain } from '../chain/runner.js';
import type { Hook } from '../chain/hook.js';
import { bindingRefusal, type BindingStage } from '../chain/binding-rules.js';
import { PlugchainError } from '../errors/plugchain-error.js';
import { ENGINE_MESSAGES, validateEngineHook } from '../hooks/validate-engine.js';
import { powerstripHook } from '../hooks/powerstrip.js';
import { DEFAULT_ADAPTER_TIMEOUT_MS } from '../hooks/powerstrip-client.js';
import { loadPowerstripAdaptersFile } from '../config/powerstrip-adapters.js';
import { CHAIN_START_OPERATIONS, DEFAULT_CHAIN_PROFILE, chainStartHook } from '../chain-profiles/chain-start-hook.js';

/** Hook names a binding may use (besides `powerstrip:<adapter>`). */
export const BUILT_IN_HOOKS = ['validate', 'chain-profile'] as const;

interface SourcedBinding {
  binding: HookBinding;
  /** Where it came from, for error messages: `hooks[2]` or `powerstripConfig adapters.yml`. */
  where: string;
}

/**
 * Builds the engine-side hook chain from the config, once per config (a reload calls it again).
 * Cheap: no sockets, no timers; the only I/O is reading `powerstripConfig` when it is set.
 *
 * The chain runs in three phases, whatever the order of the bindings:
 *   1. rewriters: Powerstrip adapters, in config order (`hooks`, then `powerstripConfig`);
 *   2. `validate`, so the schema sees the request as it will be forwarded (rewrites included);
 *   3. `chain-profile`, whose side effects (volume preparation) happen only for valid requests.
 * Post-hooks unwind in reverse (chain-profile release, then adapters' post-hooks).
 * A binding that names an unknown hook, adapter or operation, or a stage an operation cannot
 * carry, refuses the config with PLUGCHAIN_CONFIG_INVALID.
 */
export function buildEngineChain(config: PlugchainConfig, logger: Logger): HookChain {
  const adapters = new Map<string, PowerstripAdapter>();
  for (const a of config.adapters) {
    if (adapters.has(a.name)) throw invalid('adapters', `adapter "${a.name}" is defined twice`);
    adapters.set(a.name, a);
  }
  const bindings: SourcedBinding[] = config.hooks.map((binding, i) => ({ binding, where: `hooks[${i}]` }));
  if (config.powerstripConfig) {
    const where = `powerstripConfig ${config.powerstripConfig}`;
    const mapped = loadPowerstripAdaptersFile(config.powerstripConfig);
    for (const a of mapped.adapters) {
      const existing = adapters.get(a.name);
      if (existing && existing.url !== a.url) throw invalid(where, `adapter "${a.name}" is also in "adapters" with another URL (${existing.url})`);
      if (!existing) adapters.set(a.name, a);
    }
    bindings.push(...mapped.bindings.map((binding) => ({ binding, where })));
    for (const s of mapped.skipped) logger.info({ source: config.powerstripConfig }, `powerstrip endpoint skipped for a stream: ${s}`);
  }

  const rewriters: Hook[] = [];
  let validateOps: string[] | null = null;
  let chainOps: string[] | null = null;
  for (const { binding, where } of bindings) {
    const name = binding.hook;
    if (name === 'validate') {
      if (binding.stage && binding.stage !== 'pre') throw invalid(where, 'validate is a pre-hook only');
      for (const op of binding.operations) {
        checkOperation(where, op, 'pre');
        if (!ENGINE_MESSAGES[op]) throw invalid(where, `validate has no schema for ${op} (it checks ${Object.keys(ENGINE_MESSAGES).join(', ')})`);
      }
      validateOps = union(validateOps, binding.operations);
    } else if (name === 'chain-profile') {
      if (binding.stage && binding.stage !== 'both') throw invalid(where, 'chain-profile runs before and after the start (stage both)');
      for (const op of binding.operations) {
        checkOperation(where, op, 'post');
        if (!(CHAIN_START_OPERATIONS as readonly string[]).includes(op)) throw invalid(where, `chain-profile applies to ${CHAIN_START_OPERATIONS.join(' and ')}, not ${op}`);
      }
      chainOps = union(chainOps, binding.operations);
    } else if (name.startsWith('powerstrip:')) {
      const adapterName = name.slice('powerstrip:'.length);
      const adapter = adapters.get(adapterName);
      if (!adapter) throw invalid(where, `${name}: no adapter "${adapterName}" in "adapters"${adapters.size ? ` (known: ${[...adapters.keys()].join(', ')})` : ''}`);
      const stage = binding.stage ?? 'pre';
      for (const op of binding.operations) {
        if (stage !== 'post') checkOperation(where, op, 'pre');
        if (stage !== 'pre') checkOperation(where, op, 'post');
      }
      rewriters.push(powerstripHook({
        adapter: { name: adapter.name, url: adapter.url, timeoutMs: adapter.timeoutMs ?? DEFAULT_ADAPTER_TIMEOUT_MS },
        operations: binding.operations,
        stage,
        limit: config.bodyLimit * 2 + 65_536,
      }));
    } else {
      throw invalid(where, `unknown hook "${name}" (known: ${BUILT_IN_HOOKS.join(', ')}, powerstrip:<adapter>)`);
    }
  }

  const hooks: Hook[] = [...rewriters];
  const mode = config.validation.engine;
  if (mode !== 'off') {
    const validate = validateEngineHook({ mode });
    hooks.push(validateOps ? rebind(validate, validateOps) : validate);
  } else if (validateOps) {
    throw invalid('hooks', 'a binding names validate, but validation.engine is off');
  }
  if (config.chain || chainOps) {
    hooks.push(chainStartHook({
      profile: { ...DEFAULT_CHAIN_PROFILE, ...config.chain },
      pluginDir: config.pluginDir,
      plugins: config.plugins,
      operations: chainOps ?? undefined,
    }));
  }
  logger.debug({ hooks: hooks.map((h) => ({ name: h.name, operations: h.operations })), validation: mode }, 'engine hook chain');
  return new HookChain(hooks);
}

function checkOperation(where: string, op: string, stage: BindingStage): void {
  const why = bindingRefusal(op, stage);
  if (why) throw invalid(where, `cannot bind a ${stage}-hook: ${why}`);
}

function rebind(hook: Hook, operations: readonly string[]): Hook {
  return Object.freeze({ ...hook, operations });
}

function union(a: string[] | null, b: readonly string[]): string[] {
  return [...new Set([...(a ?? []), ...b])];
}

function invalid(where: string, text: string): PlugchainError {
  return new PlugchainError('PLUGCHAIN_CONFIG_INVALID', `plugchain config: ${where}: ${text}`);
}
