import { Option, type Command } from 'commander';
import { basename, dirname, resolve } from 'node:path';
import type { CheckMode } from '../../config/config.js';
import { createLogger, type Logger } from '../../logging/logger.js';
import { HookChain } from '../../chain/runner.js';
import type { Hook } from '../../chain/hook.js';
import { PluginShim } from '../../shim/plugin-shim.js';
import { PluginClient } from '../../shim/plugin-client.js';
import { recordHook } from '../../hooks/record.js';
import { validatePluginHook } from '../../hooks/validate-plugin.js';
import { PlugchainMetrics } from '../../admin/metrics.js';
import { startAdminServer, type AdminServer } from '../../admin/admin-server.js';
import { pluginReadiness } from '../../admin/readiness.js';
import { mountpointMapHook } from './shim-mountpoint-map.js';

interface ShimFlags {
  upstream: string;
  socket: string;
  mode: CheckMode;
  record?: string;
  name?: string;
  admin?: string;
  upstreamDataDir?: string;
  propagatedDir?: string;
  logLevel: string;
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export function registerShim(program: Command): void {
  program
    .command('shim')
    .description('run one plugin-side shim only (no engine side): dockerd talks to --socket, the shim checks ' +
      'each call and forwards it to --upstream. This is the process of the managed plugin (plugin.json).')
    .addOption(new Option('--upstream <addr>', 'the real plugin: unix:///path.sock, /path.sock or tcp://host:port').env('UPSTREAM').makeOptionMandatory())
    .addOption(new Option('--socket <path>', 'listen here; dockerd names the plugin after the file (<name>.sock)').env('SOCKET').makeOptionMandatory())
    .addOption(new Option('--mode <mode>', 'validation of plugin answers').choices(['enforce', 'warn', 'off']).env('MODE').default('enforce'))
    .addOption(new Option('--record <file>', 'append every exchange to this NDJSON file').env('RECORD'))
    .addOption(new Option('--name <name>', 'name of the upstream plugin, for logs and metrics (default: the socket name)').env('UPSTREAM_NAME'))
    .addOption(new Option('--admin <addr>', 'admin listener for /metrics, /healthz, /readyz (off by default)').env('ADMIN'))
    .addOption(new Option('--upstream-data-dir <dir>', "where the upstream keeps volume data on the host (its Mountpoints' prefix)").env('UPSTREAM_DATA_DIR'))
    .addOption(new Option('--propagated-dir <dir>', 'where that directory is mounted inside this (managed) plugin; Mountpoints are rewritten to it'))
    .addOption(new Option('--log-level <level>', 'log level').choices(LEVELS).env('LOG_LEVEL').default('info'))
    .addHelpText('after', `
Example (legacy plugin in front of a legacy plugin):
  plugchain shim --upstream unix:///run/docker/plugins/dataset.sock --socket /run/docker/plugins/checked.sock
  docker volume create -d checked db1

Inside the managed plugin the same flags come from the environment (docker plugin set NAME UPSTREAM=…).
Empty values count as unset.`)
    .action(async (raw: ShimFlags) => {
      const flags = dropEmpty(raw);
      if (!flags.upstream) throw new Error('no upstream plugin: pass --upstream or set UPSTREAM (docker plugin set NAME UPSTREAM=unix:///run/upstream/x.sock)');
      const logger = createLogger({ level: flags.logLevel as (typeof LEVELS)[number] });
      const socket = resolve(flags.socket);
      if (!socket.endsWith('.sock')) throw new Error(`--socket must name a <plugin>.sock file (dockerd names the plugin after it): ${socket}`);
      const alias = basename(socket, '.sock');

      const hooks: Hook[] = [];
      const closers: Array<() => Promise<void>> = [];
      if (flags.record) {
        const rec = recordHook(flags.record);
        closers.push(rec.close);
        hooks.push(rec);
      }
      if (flags.mode !== 'off') hooks.push(validatePluginHook(flags.mode));
      if (flags.upstreamDataDir && flags.propagatedDir && resolve(flags.upstreamDataDir) !== resolve(flags.propagatedDir)) {
        // Innermost: its post runs first, so validation and the record see what dockerd gets.
        hooks.push(mountpointMapHook(resolve(flags.upstreamDataDir), resolve(flags.propagatedDir)));
      }

      const metrics = flags.admin ? new PlugchainMetrics() : null;
      const shim = new PluginShim({
        plugin: { name: flags.name ?? alias, address: flags.upstream, alias },
        pluginDir: dirname(socket),
        chain: new HookChain(hooks),
        logger,
        observer: metrics ?? undefined,
      });
      await shim.start();
      let admin: AdminServer | null = null;
      let readinessClient: PluginClient | null = null;
      if (metrics && flags.admin) {
        readinessClient = new PluginClient(flags.upstream);
        admin = await startAdminServer({ address: flags.admin, metrics, ready: pluginReadiness(readinessClient), logger });
      }
      logger.info({ socket, upstream: flags.upstream, mode: flags.mode, record: flags.record ?? null, hooks: hooks.map((h) => h.name) }, 'plugchain shim serving');
      await untilSignal(logger);
      await admin?.close();
      await readinessClient?.close();
      metrics?.close();
      await shim.close();
      await Promise.all(closers.map((c) => c()));
      logger.flush?.();
    });
}

function dropEmpty<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== '' && v !== undefined)) as T;
}

function untilSignal(logger: Logger): Promise<void> {
  return new Promise((resolveDone) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      resolveDone();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
