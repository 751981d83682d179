import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { PlugchainConfig } from '../config/config.js';
import { createLogger } from '../logging/logger.js';
import { parseAddress } from '../addresses/parse-address.js';
import { DaemonTarget } from '../upstream/daemon-target.js';
import { EngineProxy } from '../engine/engine-proxy.js';
import { listenAddress, type BoundListener } from '../listeners/listen-address.js';
import { ping, startPrivateDockerd, type PrivateDockerd } from '../lab/private-dockerd.js';
import { importBusyboxImage } from '../lab/busybox-image.js';
import { buildEngineChain } from './build-chain.js';
import { startShims, type RunningShims } from './start-shims.js';
import { setupMoves, type MovesSetup } from '../moves/setup-moves.js';
import { PlugchainMetrics } from '../admin/metrics.js';
import { startAdminServer, type AdminServer } from '../admin/admin-server.js';
import { daemonReadiness } from '../admin/readiness.js';

export interface StartOptions {
  /** Start a private dockerd when the configured upstream does not answer. */
  allowPrivateDaemon?: boolean;
  stateDir?: string;
  logger?: Logger;
}

export interface RunningServer {
  readonly logger: Logger;
  readonly engine: EngineProxy;
  readonly listeners: readonly BoundListener[];
  readonly upstream: string;
  readonly privateDaemon: PrivateDockerd | null;
  readonly shims: RunningShims;
  /** Present only with an admin listener (`admin` in the config, `--admin`). */
  readonly metrics: PlugchainMetrics | null;
  readonly admin: AdminServer | null;
  close(): Promise<void>;
}

export class StartError extends Error {}

/** Wires one plugchain process from a complete config: upstream, engine proxy, listeners. */
export async function startServer(config: PlugchainConfig, opts: StartOptions = {}): Promise<RunningServer> {
  const logger = opts.logger ?? createLogger({ level: config.logLevel });
  let upstream = absolutise(config.upstream);
  let privateDaemon: PrivateDockerd | null = null;

  const up = parseAddress(upstream);
  const reachable = up.kind === 'unix' ? await ping(up.path) : await tcpPing(up.host, up.port, config);
  if (!reachable) {
    if (!opts.allowPrivateDaemon) {
      throw new StartError(`cannot reach the Docker daemon at ${up.url}; start it, or pass --upstream`);
    }
    const stateDir = join(opts.stateDir ?? resolve(config.stateDir), 'dockerd');
    logger.warn({ stateDir }, `no Docker daemon at ${up.url}: starting a private dockerd`);
    privateDaemon = await startPrivateDockerd({ stateDir });
    upstream = privateDaemon.dockerHost;
    // Pulls are blocked on a private daemon: give it one local image so `docker run` works at once.
    try {
      logger.info({ image: importBusyboxImage(upstream) }, 'private dockerd ready (pulls are blocked; a local busybox image is imported)');
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'could not import a busybox image into the private dockerd');
    }
  }

  const target = new DaemonTarget(upstream, config.upstreamTls
    ? { verify: config.upstreamTls.verify ?? false, ca: config.upstreamTls.ca, cert: config.upstreamTls.cert, key: config.upstreamTls.key }
    : undefined);
  // Metrics exist only with an admin listener: without one nothing is measured.
  const metrics = config.admin ? new PlugchainMetrics() : null;
  const chain = buildEngineChain(config, logger);
  const engine = new EngineProxy({
    target,
    logger,
    chain: metrics ? metrics.instrument(chain, 'engine') : chain,
    unknownOperations: config.unknownOperations,
    bodyLimit: config.bodyLimit,
    forwarder: config.forwarder,
    observer: metrics ?? undefined,
  });

  const listeners: BoundListener[] = [];
  let shims: RunningShims | null = null;
  let admin: AdminServer | null = null;
  let moves: MovesSetup | null = null;
  try {
    // Moves (src/moves): the /plugchain/v1/ control API on the engine listener, and the move
    // coordinator when a store is configured; this host's unfinished moves resume in the background.
    moves = setupMoves(config, { logger, listen: config.listen.map(absolutise), upstream });
    if (moves) engine.setControlHandler(moves.handler);
    shims = await startShims(config, logger);
    if (metrics) for (const shim of shims.shims) shim.setObserver(metrics);
    if (config.admin && metrics) {
      admin = await startAdminServer({ address: absolutise(config.admin), metrics, ready: daemonReadiness(target), logger });
    }
    for (const spec of config.listen) {
      const tls = config.tls?.cert && config.tls.key && spec.startsWith('tcp://')
        ? { cert: config.tls.cert, key: config.tls.key, ca: config.tls.ca, verify: config.tls.verify ?? false }
        : undefined;
      listeners.push(await listenAddress(absolutise(spec), (s) => engine.handleConnection(s), {
        socketMode: parseInt(config.socketMode, 8),
        tls,
      }));
    }
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    await admin?.close();
    metrics?.close();
    await shims?.close();
    await moves?.close();
    await privateDaemon?.stop();
    throw err;
  }
  logger.info({ listen: listeners.map((l) => l.dockerHost), upstream }, 'plugchain serving');

  let closing: Promise<void> | null = null;
  return {
    logger,
    engine,
    listeners,
    upstream,
    privateDaemon,
    shims: shims!,
    metrics,
    admin,
    close() {
      closing ??= (async () => {
        const stopped = Promise.all(listeners.map((l) => l.close()));
        await Promise.all([engine.close(), shims!.close()]);
        await stopped;
        await moves?.close();
        await admin?.close();
        metrics?.close();
        await privateDaemon?.stop();
        logger.flush?.();
      })();
      return closing;
    },
  };
}

/** unix://./run/x.sock → unix:///abs/run/x.sock, so the printed DOCKER_HOST works from anywhere. */
function absolutise(spec: string): string {
  const a = parseAddress(spec);
  return a.kind === 'unix' ? `unix://${resolve(a.path)}` : spec;
}

async function tcpPing(host: string, port: number, config: PlugchainConfig): Promise<boolean> {
  const { default: net } = await import('node:net');
  void config;
  return new Promise((r) => {
    const s = net.connect({ host, port });
    s.setTimeout(3000);
    s.once('connect', () => { s.destroy(); r(true); });
    s.once('error', () => r(false));
    s.once('timeout', () => { s.destroy(); r(false); });
  });
}
