import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { parseAddress } from '../addresses/parse-address.js';
import type { Logger } from 'pino';
import type { PluginUpstream } from '../config/config.js';
import { HookChain, runPost, runPre, runUndo } from '../chain/runner.js';
import type { HookContext, HookResponse } from '../chain/hook.js';
import { listenAddress, type BoundListener } from '../listeners/listen-address.js';
import { readBody } from '../engine/read-body.js';
import { methodForPath } from '../protocols/methods.js';
import { PluginClient } from './plugin-client.js';
import { ORIGINAL_REPLY_KEY, parseReplyBody } from './exchange.js';
import { toPlugchainError } from '../errors/plugchain-error.js';
import { pluginErrorBody } from '../errors/wire.js';
import { ConnectionTracker } from '../listeners/connection-tracker.js';

export interface ShimOptions {
  plugin: PluginUpstream;
  /** Directory dockerd discovers legacy plugins in (/run/docker/plugins). */
  pluginDir: string;
  /** Where the spec file goes when the plugin has its own `listen` address (/etc/docker/plugins). */
  specDir?: string;
  chain: HookChain;
  logger: Logger;
  bodyLimit?: number;
  /** Told about each plugin call (metrics); nothing is measured without one. */
  observer?: ShimObserver;
}

/** What a shim reports to whoever measures it. */
export interface ShimObserver {
  callDone(c: { plugin: string; method: string; status: number; durationMs: number }): void;
  /** The upstream plugin could not be reached. */
  upstreamError(plugin: string, method: string): void;
  /** Wraps the shim's hook chain, e.g. to time each hook; called once per setObserver. */
  instrument?(chain: HookChain, side: 'plugin'): HookChain;
}

/**
 * The plugin side for one upstream plugin: a socket dockerd discovers as `<alias>`, each
 * `/Type.Method` call forwarded to the real plugin through the plugin-side hook chain (validate,
 * record, chain profiles). The plugin going away is a connection-level failure towards dockerd, so
 * dockerd retries as it would with the plugin itself.
 */
export class PluginShim {
  readonly alias: string;
  /** The unix socket dockerd finds the shim at ('' when the shim listens on TCP). */
  readonly socketPath: string;
  /** Where the shim listens: `<pluginDir>/<alias>.sock`, or the plugin's own `listen` address. */
  readonly listenAt: string;
  private specFile: string | null = null;
  private readonly client: PluginClient;
  private readonly server: http.Server;
  private listener: BoundListener | null = null;
  private activation: { status: number; text: string; headers: Record<string, string | string[] | undefined> } | null = null;
  private readonly log: Logger;
  private readonly connections: ConnectionTracker;
  private observer: ShimObserver | undefined;
  private chain: HookChain;

  constructor(private readonly opts: ShimOptions) {
    this.observer = opts.observer;
    this.chain = opts.observer?.instrument?.(opts.chain, 'plugin') ?? opts.chain;
    this.alias = opts.plugin.alias ?? opts.plugin.name;
    this.listenAt = opts.plugin.listen ?? `unix://${join(opts.pluginDir, `${this.alias}.sock`)}`;
    const at = parseAddress(this.listenAt);
    this.socketPath = at.kind === 'unix' ? at.path : '';
    this.client = new PluginClient(opts.plugin.address, opts.plugin.tls);
    this.log = opts.logger.child({ plugin: this.alias });
    this.server = http.createServer({ requestTimeout: 0, keepAliveTimeout: 65_000 }, (req, res) => {
      this.handle(req, res).catch((err) => {
        const e = toPlugchainError(err);
        this.log.error({ err: e.message }, 'plugin call failed');
        if (!res.headersSent) sendJson(res, 500, pluginErrorBody(e.message));
        else res.destroy();
      });
    });
    this.connections = new ConnectionTracker(this.server);
  }

  /** Attaches a metrics observer after construction (the shims are built by startShims). */
  setObserver(observer: ShimObserver): void {
    this.observer = observer;
    this.chain = observer.instrument?.(this.opts.chain, 'plugin') ?? this.opts.chain;
  }

  async start(): Promise<void> {
    this.listener = await listenAddress(this.listenAt, (s) => {
      this.connections.add(s);
      this.server.emit('connection', s);
    }, { socketMode: 0o660 });
    if (this.opts.plugin.listen) {
      // Found through a legacy spec file: one line, the URL dockerd dials (`<name>.spec`, §1.2).
      const dir = this.opts.specDir ?? '/etc/docker/plugins';
      mkdirSync(dir, { recursive: true });
      this.specFile = join(dir, `${this.alias}.spec`);
      writeFileSync(this.specFile, `${this.listener.dockerHost}\n`);
    }
    this.log.info({ listen: this.listener.dockerHost, spec: this.specFile, upstream: this.client.address.url }, 'plugin shim serving');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const path = (req.url ?? '/').split('?')[0]!;
    const method = methodForPath(path)?.name ?? path.replace(/^\//, '');
    const raw = await readBody(req, this.opts.bodyLimit ?? 4 * 1024 * 1024);
    const text = raw.toString('utf8');
    const ctx: HookContext = {
      side: 'plugin',
      operation: method,
      params: { plugin: this.alias },
      request: { method: 'POST', path, query: '', headers: { ...req.headers }, body: parseReplyBody(text) },
      log: this.log.child({ method }),
      signal: new AbortController().signal,
      state: new Map(),
    };
    const plan = this.chain.planFor(method);
    const { ran, answered } = plan ? await runPre(plan.hooks, ctx) : { ran: [], answered: false };
    if (answered) {
      sendHook(res, ctx.response!);
      return;
    }

    const original = ctx.request.body;
    const body = original === ctx.request.body || typeof original === 'string' ? raw : Buffer.from(JSON.stringify(ctx.request.body));
    let reply;
    if (method === 'Plugin.Activate' && this.activation) reply = this.activation;
    else {
      try {
        reply = await this.client.call(method, body, req.headers);
      } catch (err) {
        // Unreachable plugin: fail at the connection level so dockerd's own retry logic applies.
        this.activation = null;
        await runUndo(ran, ctx);
        this.log.warn({ err: (err as Error).message, upstream: this.client.address.url }, 'plugin unreachable');
        this.observer?.upstreamError(this.alias, method);
        req.socket.destroy();
        return;
      }
      if (method === 'Plugin.Activate' && reply.status === 200) this.activation = reply;
    }
    ctx.response = { status: reply.status, headers: reply.headers, body: parseReplyBody(reply.text) };
    ctx.state.set(ORIGINAL_REPLY_KEY, { status: reply.status, body: ctx.response.body });
    const before = ctx.response;
    if (ran.length > 0) await runPost(ran, ctx);
    if (ctx.response === before && ctx.response.body === before.body) {
      sendJson(res, reply.status, reply.text, reply.headers['content-type']);
    } else sendHook(res, ctx.response);
    const durationMs = performance.now() - started;
    this.log.debug({ status: ctx.response.status, durationMs }, 'plugin call');
    this.observer?.callDone({ plugin: this.alias, method, status: ctx.response.status, durationMs });
  }

  async close(): Promise<void> {
    if (this.specFile) rmSync(this.specFile, { force: true });
    const closed = this.listener?.close();
    await this.connections.drain(5_000);
    await closed;
    await this.client.close();
  }
}

function sendJson(res: ServerResponse, status: number, text: string, contentType?: string | string[]): void {
  res.writeHead(status, { 'Content-Type': String(contentType ?? 'application/vnd.docker.plugins.v1.2+json'), 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendHook(res: ServerResponse, r: HookResponse): void {
  sendJson(res, r.status, typeof r.body === 'string' ? r.body : JSON.stringify(r.body ?? {}), 'application/json');
}
