import type { Command } from 'commander';
import { hostname } from 'node:os';
import { createLogger, type Logger } from '../../logging/logger.js';
import { startDatasetVolumePlugin } from '../../plugins/dataset-volume/start-dataset-volume.js';
import { startWeaveNetworkPlugin } from '../../plugins/weave-network/start-weave-network.js';
import { cleanupWeaveNetwork } from '../../plugins/weave-network/cleanup.js';
import { openStore } from '../../store/open-store.js';
import type { CoordinationStore } from '../../store/store.js';

interface VolumeFlags {
  socket: string;
  host: string;
  dataDir: string;
  store: string;
  moveDelayMs: string;
  logLevel: string;
}

interface NetworkFlags {
  socket: string;
  bridge: string;
  netns: string;
  store: string;
  poolRange: string;
  poolPrefix: string;
  host: string;
  logLevel: string;
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export function registerPlugin(program: Command): void {
  const plugin = program
    .command('plugin')
    .description('run a reference plugin (legacy v1: dockerd finds it by its socket in /run/docker/plugins)');

  plugin
    .command('volume')
    .description('dataset volume driver with Flocker semantics: one owner host per dataset, Mount on another ' +
      'host moves the data there, a mount lease stops other hosts while the dataset is in use')
    .requiredOption('--socket <path>', 'listen here; dockerd names the plugin after the file (e.g. /run/docker/plugins/dataset.sock), or tcp://host:port')
    .requiredOption('--data-dir <dir>', 'data root shared by the hosts of this machine; this host uses <dir>/<host>/<dataset>')
    .requiredOption('--store <file|url>', 'coordination store shared by all hosts: a file (created if missing), file:///path or etcd://host:port')
    .option('--host <name>', 'this host\'s identity in the store', hostname())
    .option('--move-delay-ms <n>', 'artificial pause during each move, for tests', '0')
    .option('--log-level <level>', `one of ${LEVELS.join(', ')}`, 'info')
    .addHelpText('after', '\nExample:\n  plugchain plugin volume --socket /run/docker/plugins/dataset.sock --host a \\\n' +
      '    --data-dir /var/lib/plugchain/datasets --store /var/lib/plugchain/store.json\n' +
      '  docker volume create -d dataset db1 && docker run -v db1:/data --volume-driver dataset busybox ls /data')
    .action(async (flags: VolumeFlags) => {
      const logger = makeLogger(flags.logLevel);
      const store = openStoreArg(flags.store);
      const running = await startDatasetVolumePlugin({
        socket: flags.socket, host: flags.host, dataDir: flags.dataDir, store,
        moveDelayMs: nonNegative('--move-delay-ms', flags.moveDelayMs), logger,
      });
      await untilSignal(running.close, logger);
      if (typeof store !== 'string') await store.close();
    });

  plugin
    .command('network')
    .description('network + IPAM driver with Weave semantics (one process, Implements NetworkDriver and ' +
      'IpamDriver): one bridge in its own network namespace shared by every host on this machine, ' +
      'addresses allocated segment-wide and claimable again by container name')
    .requiredOption('--socket <path>', 'listen here; dockerd names the plugin after the file, or tcp://host:port')
    .requiredOption('--store <file|url>', 'coordination store shared by all hosts: a file (created if missing), file:///path or etcd://host:port')
    .option('--bridge <name>', 'bridge name, at most 15 characters; created on first network, removed with the last', 'pcbr0')
    .option('--netns <name>', 'network namespace holding the bridge (ip netns add when missing)', 'plugchain-lab')
    .option('--pool-range <cidr>', 'range dynamic pools are cut from (when no --subnet is given)', '10.213.0.0/16')
    .option('--pool-prefix <bits>', 'prefix length of dynamic pools', '24')
    .option('--host <name>', 'this host\'s name, recorded with networks and endpoints', hostname())
    .option('--log-level <level>', `one of ${LEVELS.join(', ')}`, 'info')
    .addHelpText('after', '\nExample:\n  plugchain plugin network --socket /run/docker/plugins/weave.sock --store /var/lib/plugchain/store.json\n' +
      '  docker network create -d weave --ipam-driver weave --subnet 10.213.5.0/24 --gateway 10.213.5.1 n1')
    .action(async (flags: NetworkFlags) => {
      const logger = makeLogger(flags.logLevel);
      const store = openStoreArg(flags.store);
      const running = await startWeaveNetworkPlugin({
        socket: flags.socket, bridge: flags.bridge, netns: flags.netns, store, poolRange: flags.poolRange,
        poolPrefix: nonNegative('--pool-prefix', flags.poolPrefix), host: flags.host, logger,
      });
      await untilSignal(running.close, logger);
      if (typeof store !== 'string') await store.close();
    });

  plugin
    .command('network-cleanup')
    .description('remove what the network driver created for one bridge: veth pairs, the bridge, the namespace ' +
      'when it is empty, and the bridge\'s records in the store')
    .requiredOption('--store <file|url>', 'coordination store: a file, file:///path or etcd://host:port')
    .option('--bridge <name>', 'bridge name', 'pcbr0')
    .option('--netns <name>', 'network namespace', 'plugchain-lab')
    .option('--keep-state', 'leave the store records alone')
    .action(async (flags: { store: string; bridge: string; netns: string; keepState?: boolean }) => {
      const store = openStoreArg(flags.store);
      const report = await cleanupWeaveNetwork({ store, bridge: flags.bridge, netns: flags.netns, forgetState: !flags.keepState });
      if (typeof store !== 'string') await store.close();
      process.stdout.write(`${JSON.stringify(report)}\n`);
    });
}

/** A plain path stays a path (the plugin opens its file store); a URL (file://, etcd://) is opened here. */
function openStoreArg(spec: string): string | CoordinationStore {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(spec) ? openStore(spec) : spec;
}

function makeLogger(level: string): Logger {
  if (!(LEVELS as readonly string[]).includes(level)) throw new Error(`--log-level must be one of ${LEVELS.join(', ')}`);
  return createLogger({ level: level as (typeof LEVELS)[number], name: 'plugchain-plugin' });
}

function nonNegative(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} must be a non-negative integer, got ${value}`);
  return n;
}

/** Serves until SIGTERM or SIGINT, then closes (the socket file goes with it). */
function untilSignal(close: () => Promise<void>, logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'stopping');
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      void close().finally(() => {
        logger.flush();
        resolve();
      });
    };
    const onTerm = () => stop('SIGTERM');
    const onInt = () => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
}
