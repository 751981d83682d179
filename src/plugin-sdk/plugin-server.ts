import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { unlinkSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import type { AddressInfo } from 'node:net';
import { METHODS, SUBSYSTEMS, type MethodSpec, type PluginKind } from '../protocols/methods.js';
import { pluginErrorBody } from '../errors/wire.js';
import { silentLogger, type Logger } from '../logging/logger.js';
import type { PluginHandlers } from './messages.js';
import { decodeRequest } from './read-body.js';
import { readBody } from '../engine/read-body.js';
import { parseAddress } from '../addresses/parse-address.js';
import { prepareSocketPath } from '../listeners/listen-address.js';
import { PluginRequestError } from './request-fields.js';

/**
 * A generic Docker plugin server. The routes are computed once from the METHODS table: for every
 * method of an implemented subsystem that has a handler, one entry `/<Type>.<Method>` → handler.
 * One decode → call → encode path serves them all (no per-method plumbing):
 *   - `Plugin.Activate` answers `Implements` from the kinds;
 *   - any other path (unknown, or a method this plugin does not implement) is 404, which dockerd
 *     reads as "not implemented" for the optional methods (P18);
 *   - success is HTTP 200 with a JSON body (never empty, P1/P2);
 *   - a thrown error is HTTP 500 `{"Err": msg}` (also `Error`): dockerd reads `Err` on every
 *     non-200 answer, whatever the subsystem (§1.4), so the same shape serves IPAM too;
 *   - no Content-Type or Accept is required on requests (P3/P4).
 */
export interface PluginServerOptions {
  kinds: readonly PluginKind[];
  handlers: PluginHandlers;
  logger?: Logger;
  /** Largest request body accepted (default 1 MiB). */
  bodyLimit?: number;
}

export interface RunningPluginServer {
  /** `unix:///…` or `tcp://host:port`. */
  readonly address: string;
  readonly server: http.Server;
  close(): Promise<void>;
}

type AnyHandler = (req: object) => Promise<unknown>;

interface Route {
  readonly spec: MethodSpec;
  readonly call: AnyHandler;
}

const CONTENT_TYPE = 'application/vnd.docker.plugins.v1.2+json';

/** Builds the frozen path → route table; throws on handlers that the table or kinds do not allow. */
export function buildRoutes(opts: PluginServerOptions): ReadonlyMap<string, Route> {
  const kinds = new Set(opts.kinds);
  const known = new Map(METHODS.map((m) => [m.name, m]));
  const routes = new Map<string, Route>();
  for (const [name, fn] of Object.entries(opts.handlers) as Array<[string, AnyHandler | undefined]>) {
    if (!fn) continue;
    const spec = known.get(name);
    if (!spec || spec.kind === 'activate') throw new Error(`no plugin method ${name} in the protocol table`);
    if (!kinds.has(spec.kind)) throw new Error(`handler ${name} given, but the plugin does not implement ${SUBSYSTEMS[spec.kind].implements}`);
    routes.set(`/${name}`, Object.freeze({ spec, call: fn }));
  }
  for (const kind of kinds) {
    const missing = METHODS.filter((m) => m.kind === kind && !m.optional && !routes.has(`/${m.name}`)).map((m) => m.name);
    if (missing.length > 0) throw new Error(`plugin implements ${SUBSYSTEMS[kind].implements} but has no handler for ${missing.join(', ')}`);
  }
  const manifest = { Implements: [...kinds].map((k) => SUBSYSTEMS[k].implements) };
  const activate = METHODS.find((m) => m.kind === 'activate')!;
  routes.set(`/${activate.name}`, Object.freeze({ spec: activate, call: async () => manifest }));
  return routes;
}

/** The request listener: usable on any http.Server. */
export function createPluginRequestHandler(opts: PluginServerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const routes = buildRoutes(opts);
  const logger = opts.logger ?? silentLogger;
  const bodyLimit = opts.bodyLimit ?? 1024 * 1024;
  return (req, res) => {
    void serve(req, res).catch((err: unknown) => {
      logger.error({ err }, 'plugin request failed outside its handler');
      if (!res.headersSent) send(res, 500, pluginErrorBody('internal error'));
      else res.destroy();
    });
  };

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = routes.get(path);
    if (!route) {
      req.resume();
      send(res, 404, pluginErrorBody(`${path.slice(1) || '/'}: not implemented by this plugin`));
      return;
    }
    if (req.method !== 'POST') {
      req.resume();
      send(res, 405, pluginErrorBody(`${route.spec.name} expects POST`));
      return;
    }
    const started = Date.now();
    let body: object;
    try {
      body = decodeRequest(await readBody(req, bodyLimit));
    } catch (err) {
      const status = (err as { status?: number }).status ?? 400;
      send(res, status, pluginErrorBody(`${route.spec.name}: cannot decode request: ${(err as Error).message}`));
      return;
    }
    try {
      const result = await route.call(body);
      send(res, 200, JSON.stringify(result ?? {}));
      logger.debug({ method: route.spec.name, ms: Date.now() - started }, 'plugin call');
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const status = err instanceof PluginRequestError ? 400 : 500;
      logger.info({ method: route.spec.name, ms: Date.now() - started, err: message }, 'plugin call failed');
      send(res, status, pluginErrorBody(message));
    }
  }
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Starts a plugin server on a unix socket (stale socket replaced) or a TCP address. */
export async function startPluginServer(listen: string, opts: PluginServerOptions): Promise<RunningPluginServer> {
  const parsed = parseAddress(listen, 0);
  const where = parsed.kind === 'unix' ? { ...parsed, path: resolvePath(parsed.path) } : parsed;
  const server = http.createServer(createPluginRequestHandler(opts));
  server.keepAliveTimeout = 60_000;
  if (where.kind === 'unix') await prepareSocketPath(where.path);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (where.kind === 'unix') server.listen(where.path, () => resolve());
    else server.listen(where.port, where.host, () => resolve());
  });
  const address = where.kind === 'unix'
    ? `unix://${where.path}`
    : `tcp://${where.host}:${(server.address() as AddressInfo).port}`;
  let closing: Promise<void> | null = null;
  return {
    address,
    server,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        if (where.kind === 'unix') {
          try {
            unlinkSync(where.path);
          } catch {
            /* already gone */
          }
        }
      });
      return closing;
    },
  };
}
