import type { Command } from 'commander';
import { resolve } from 'node:path';
import { defaultConfig, type PlugchainConfig } from '../../config/config.js';
import { loadConfigFile } from '../../config/load-config.js';
import { startServer } from '../../server/start-server.js';
import { ConfigReloader } from '../../server/reload.js';
import { activatedFds, listenOnFds } from '../../server/socket-activation.js';

interface ServeFlags {
  listen?: string[];
  upstream?: string;
  config?: string;
  logLevel?: PlugchainConfig['logLevel'];
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
  upstreamTlsverify?: boolean;
  upstreamTlscacert?: string;
  upstreamTlscert?: string;
  upstreamTlskey?: string;
  socketMode?: string;
  admin?: string;
  privateDaemon: boolean;
  /** Set when systemd passed listening sockets: they replace every listen address. */
  activated?: boolean;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the proxy: Docker API clients in (DOCKER_HOST), dockerd out, plugin shims beside it')
    .option('-l, --listen <addr>', 'listen address, repeatable: unix:///path.sock or tcp://host:port (default unix://./run/plugchain.sock)', collect)
    .option('-u, --upstream <addr>', 'the Docker daemon: unix:///var/run/docker.sock (default) or tcp://host:port')
    .option('-c, --config <file>', 'config file (YAML or JSON), checked against schemas/config.json')
    .option('--log-level <level>', 'trace | debug | info | warn | error | silent')
    .option('--tlsverify', 'listeners require client certificates signed by --tlscacert')
    .option('--tlscacert <file>', 'CA for client certificates')
    .option('--tlscert <file>', 'server certificate for TCP listeners (enables TLS)')
    .option('--tlskey <file>', 'server key for TCP listeners')
    .option('--upstream-tlsverify', "verify the daemon's certificate with --upstream-tlscacert")
    .option('--upstream-tlscacert <file>', 'CA of the daemon certificate')
    .option('--upstream-tlscert <file>', 'client certificate for the daemon (enables TLS upstream)')
    .option('--upstream-tlskey <file>', 'client key for the daemon')
    .option('--socket-mode <mode>', 'file mode of unix listen sockets (default 0660)')
    .option('--admin <addr>', 'admin listener for /metrics, /healthz, /readyz: tcp://127.0.0.1:9323 or unix:///path.sock (off by default)')
    .option('--no-private-daemon', 'fail instead of starting a private dockerd when the default daemon is unreachable')
    .addHelpText('after', `
Without --upstream and with no daemon at unix:///var/run/docker.sock, plugchain starts a private
dockerd of its own under <stateDir>/dockerd (no bridge, no iptables, pulls blocked) and fronts it.

SIGHUP re-reads --config: checked first; a bad file changes nothing (the error is logged). The
engine hook chain (validation.engine, hooks, adapters, chain, hosts) and logLevel apply to new
requests; open streams and hijacked sessions are not cut. Listener, upstream, TLS, plugin and
admin changes are logged as needing a restart and not applied. Flags keep winning over the file.

Under systemd socket activation (LISTEN_FDS, see contrib/systemd/plugchain.socket) the passed
sockets replace every listen address.

Prints the line to use the proxy, e.g.:
  export DOCKER_HOST=unix:///home/me/plugchain/run/plugchain.sock`)
    .action(async (flags: ServeFlags) => {
      const fds = activatedFds();
      flags.activated = fds.length > 0;
      const fromFile = flags.config ? loadConfigFile(flags.config) : defaultConfig();
      const explicitUpstream = Boolean(flags.upstream ?? (flags.config ? fromFile.upstream !== defaultConfig().upstream : process.env.PLUGCHAIN_UPSTREAM));
      const config = applyFlags(fromFile, flags);
      const running = await startServer(config, {
        allowPrivateDaemon: flags.privateDaemon && !explicitUpstream,
        stateDir: resolve(config.stateDir),
      });
      const activated = await listenOnFds(fds, (s) => running.engine.handleConnection(s));
      if (activated.length > 0) running.logger.info({ listen: activated.map((l) => l.dockerHost) }, 'serving sockets passed by systemd');
      for (const l of [...running.listeners, ...activated]) process.stdout.write(`export DOCKER_HOST=${l.dockerHost}\n`);
      const stop = (signal: string) => {
        running.logger.info({ signal }, 'shutting down');
        const closed = Promise.all(activated.map((l) => l.close()));
        void Promise.all([running.close(), closed]).then(() => process.exit(0));
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
      const reloader = flags.config
        ? new ConfigReloader({
            configPath: flags.config, current: config, engine: running.engine, logger: running.logger,
            metrics: running.metrics, applyOverrides: (c) => applyFlags(c, flags),
          })
        : null;
      process.on('SIGHUP', () => {
        if (reloader) reloader.reload();
        else running.logger.warn('SIGHUP: no --config file to reload; ignored');
      });
    });
}

/** Command-line flags win over the config file (at start and on every reload). */
function applyFlags(config: PlugchainConfig, flags: ServeFlags): PlugchainConfig {
  const c: PlugchainConfig = { ...config };
  if (flags.listen?.length) c.listen = flags.listen;
  if (flags.activated) c.listen = [];
  if (flags.upstream) c.upstream = flags.upstream;
  if (flags.logLevel) c.logLevel = flags.logLevel;
  if (flags.socketMode) c.socketMode = flags.socketMode;
  if (flags.admin) c.admin = flags.admin;
  if (flags.tlscert || flags.tlskey || flags.tlsverify) {
    c.tls = { verify: Boolean(flags.tlsverify), ca: flags.tlscacert, cert: flags.tlscert, key: flags.tlskey };
  }
  if (flags.upstreamTlscert || flags.upstreamTlsverify || flags.upstreamTlscacert) {
    c.upstreamTls = { verify: Boolean(flags.upstreamTlsverify), ca: flags.upstreamTlscacert, cert: flags.upstreamTlscert, key: flags.upstreamTlskey };
  }
  return c;
}
