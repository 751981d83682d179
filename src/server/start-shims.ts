import type { Logger } from 'pino';
import type { PlugchainConfig } from '../config/config.js';
import { HookChain } from '../chain/runner.js';
import type { Hook } from '../chain/hook.js';
import { PluginShim } from '../shim/plugin-shim.js';
import { validatePluginHook } from '../hooks/validate-plugin.js';
import { recordHook } from '../hooks/record.js';

export interface RunningShims {
  readonly shims: readonly PluginShim[];
  close(): Promise<void>;
}

/**
 * One shim per configured plugin, each with its own plugin-side chain: record outermost (so it sees
 * what dockerd finally got), then validate.
 */
export async function startShims(config: PlugchainConfig, logger: Logger, extraHooks: readonly Hook[] = []): Promise<RunningShims> {
  const shims: PluginShim[] = [];
  const closers: Array<() => Promise<void>> = [];
  try {
    for (const plugin of config.plugins) {
      const hooks: Hook[] = [];
      if (plugin.record) {
        const rec = recordHook(plugin.record);
        closers.push(rec.close);
        hooks.push(rec);
      }
      const mode = plugin.mode ?? config.validation.plugins;
      if (mode !== 'off') hooks.push(validatePluginHook(mode));
      hooks.push(...extraHooks);
      const shim = new PluginShim({ plugin, pluginDir: config.pluginDir, specDir: config.specDir, chain: new HookChain(hooks), logger, bodyLimit: config.bodyLimit });
      await shim.start();
      shims.push(shim);
    }
  } catch (err) {
    await Promise.all(shims.map((s) => s.close()));
    throw err;
  }
  return {
    shims,
    async close() {
      await Promise.all(shims.map((s) => s.close()));
      await Promise.all(closers.map((c) => c()));
    },
  };
}
