/**
 * plugchain's own configuration. The file (YAML or JSON) is checked against schemas/config.json
 * before anything is applied; defaults fill in what it leaves out.
 */
export type CheckMode = 'enforce' | 'warn' | 'off';

export interface TlsFiles {
  verify?: boolean;
  ca?: string;
  cert?: string;
  key?: string;
}

export interface PluginUpstream {
  /** Name of the real plugin (for logs). */
  name: string;
  /** Where the real plugin listens: unix:///…, tcp://…, or a path. */
  address: string;
  /** Name dockerd knows the shim by; defaults to `name`. */
  alias?: string;
  /**
   * Serve the shim here instead of `<pluginDir>/<alias>.sock` (unix:///… or tcp://host:port), and
   * write `<specDir>/<alias>.spec` pointing at it so that dockerd finds it through a spec file.
   */
  listen?: string;
  mode?: CheckMode;
  /** Append every exchange to this NDJSON file. */
  record?: string;
  tls?: TlsFiles;
}

export interface PowerstripAdapter {
  name: string;
  /** Adapter URL, e.g. http://127.0.0.1:9000/adapter */
  url: string;
  timeoutMs?: number;
}

export interface HookBinding {
  /** `validate`, `chain-profile` or `powerstrip:<adapter>`. */
  hook: string;
  /** Operation ids (src/router/operations.ts); unknown ids refuse the config. */
  operations: string[];
  /** Powerstrip adapters: which calls the adapter gets (default `pre`). */
  stage?: 'pre' | 'post' | 'both';
}

/** Missing fields default to `flocker`, `weave` and 120 s (chain-profiles/chain-start-hook.ts). */
export interface ChainProfile {
  /** Volume drivers whose volumes are prepared on this host before a start is forwarded. */
  volumeDrivers: string[];
  /** Network drivers chained behind them (logged with each prepare). */
  networkDrivers: string[];
  /** Deadline for preparing all chained volumes of one start (ms). */
  prepareTimeoutMs: number;
}

export interface PlugchainConfig {
  listen: string[];
  upstream: string;
  upstreamTls?: TlsFiles;
  tls?: TlsFiles;
  socketMode: string;
  unknownOperations: 'pass' | 'deny';
  bodyLimit: number;
  /** Streaming pass-through: undici (default, measured faster) or http-proxy. */
  forwarder?: 'undici' | 'http-proxy';
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  validation: { engine: CheckMode; plugins: CheckMode };
  pluginDir: string;
  /** Where spec files of shims with their own `listen` address go (dockerd reads /etc/docker/plugins). */
  specDir: string;
  plugins: PluginUpstream[];
  adapters: PowerstripAdapter[];
  hooks: HookBinding[];
  chain?: ChainProfile;
  /** A Powerstrip `adapters.yml` whose endpoints become hook bindings (config/powerstrip-adapters.ts). */
  powerstripConfig?: string;
  hosts: Record<string, string>;
  /** This plugchain's own name in `hosts` (moves start here); inferred from `listen` when absent. */
  self?: string;
  /** Coordination store for moves: `file:///abs/store.json` (embedded) or `etcd://host:port`. */
  store?: string;
  stateDir: string;
  admin?: string;
}

/** The embedded default: a dev socket in ./run in front of the local daemon, checks enforced. */
export function defaultConfig(env: NodeJS.ProcessEnv = process.env): PlugchainConfig {
  return {
    listen: ['unix://./run/plugchain.sock'],
    upstream: env.PLUGCHAIN_UPSTREAM ?? 'unix:///var/run/docker.sock',
    socketMode: '0660',
    unknownOperations: 'pass',
    bodyLimit: 4 * 1024 * 1024,
    logLevel: 'info',
    validation: { engine: 'enforce', plugins: 'enforce' },
    pluginDir: '/run/docker/plugins',
    specDir: '/etc/docker/plugins',
    plugins: [],
    adapters: [],
    hooks: [],
    hosts: {},
    stateDir: './run',
  };
}
