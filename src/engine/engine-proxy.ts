import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { PlugchainError, toPlugchainError } from '../errors/plugchain-error.js';
import { sendEngineError } from '../errors/wire.js';
import { OperationRouter } from '../router/router.js';
import { HookChain } from '../chain/runner.js';
import { runChained, type ChainedDeps } from './chained-request.js';
import { DaemonTarget } from '../upstream/daemon-target.js';
import { PassThrough } from '../upstream/pass-through.js';
import { UndiciForward } from '../upstream/undici-forward.js';
import { BufferedCaller } from '../upstream/buffered-call.js';
import { relayHijack, type HijackSession } from '../upstream/hijack-relay.js';
import { tunnelHttp2 } from '../upstream/h2-tunnel.js';
import { ConnectionTracker } from '../listeners/connection-tracker.js';

export interface EngineProxyOptions {
  target: DaemonTarget;
  logger: Logger;
  chain?: HookChain;
  router?: OperationRouter;
  /** What to do with requests that match no known operation. */
  unknownOperations?: 'pass' | 'deny';
  /** Size limit for bodies that hooks read (request) or rewrite (response). */
  bodyLimit?: number;
  /** Streaming pass-through implementation. */
  forwarder?: 'undici' | 'http-proxy';
  /** Told about each finished request and hijacked session (metrics); nothing is measured without one. */
  observer?: EngineObserver;
}

/** One finished (non-hijacked) request, as logged. */
export interface RequestDone {
  op: string;
  method: string;
  status: number;
  durationMs: number;
  bytesIn: number;
  bytesOut: number;
  aborted: boolean;
}

/** One finished hijacked session (attach, exec start, BuildKit, HTTP/2 tunnel). */
export interface HijackDone {
  op: string;
  status: number;
  durationMs: number;
  bytesToDaemon: number;
  bytesToClient: number;
  error?: string;
}

/** What the engine proxy reports to whoever measures it. All calls are synchronous and cheap. */
export interface EngineObserver {
  requestDone(r: RequestDone): void;
  hijackOpened(op: string): void;
  hijackClosed(h: HijackDone): void;
  /** The daemon could not be reached (connection error, not an HTTP status). */
  upstreamError(op: string): void;
}

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n');

/**
 * The engine side: Docker API clients in, dockerd out. Requests are routed to an operation id; the
 * hook chain runs only where a hook asked for that operation; everything else streams.
 */
export class EngineProxy {
  readonly server: http.Server;
  private readonly router: OperationRouter;
  private chain: HookChain;
  private readonly passThrough: PassThrough | UndiciForward;
  private readonly buffered: BufferedCaller;
  private readonly hijacks = new Set<HijackSession>();
  private readonly connections: ConnectionTracker;
  private readonly log: Logger;
  private readonly unknown: 'pass' | 'deny';
  private readonly bodyLimit: number;
  private nextId = 1;

  constructor(private readonly opts: EngineProxyOptions) {
    this.log = opts.logger;
    this.router = opts.router ?? new OperationRouter();
    this.chain = opts.chain ?? new HookChain([]);
    this.unknown = opts.unknownOperations ?? 'pass';
    this.bodyLimit = opts.bodyLimit ?? 4 * 1024 * 1024;
    const onErr = (err: Error, req: IncomingMessage, res: ServerResponse) => this.upstreamError(err, req, res);
    // undici by default: it measured ~25% less CPU per request than http-proxy (README, benchmarks).
    this.passThrough = opts.forwarder === 'http-proxy' ? new PassThrough(opts.target, onErr) : new UndiciForward(opts.target, onErr);
    this.buffered = new BufferedCaller(opts.target);
    this.server = http.createServer({ requestTimeout: 0, keepAliveTimeout: 65_000 });
    this.server.headersTimeout = 60_000;
    this.server.timeout = 0;
    this.connections = new ConnectionTracker(this.server);
    this.server.on('request', (req, res) => this.onRequest(req, res));
    this.server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket as Socket, head));
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      if (socket.writable && err.code !== 'ECONNRESET') {
        socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"message":"plugchain: malformed HTTP request"}');
      } else socket.destroy();
    });
  }

  /** Swaps the hook chain (config reload): new requests use it, requests in flight keep theirs. */
  setChain(chain: HookChain): void {
    this.chain = chain;
  }

  /**
   * Entry point for listener sockets. HTTP/2 prior-knowledge connections (gRPC clients of
   * BuildKit) are tunnelled raw; everything else is parsed as HTTP/1.1.
   */
  handleConnection(socket: Socket): void {
    this.connections.add(socket);
    socket.once('data', (first: Buffer) => {
      socket.pause();
      if (first.length >= H2_PREFACE.length && first.subarray(0, H2_PREFACE.length).equals(H2_PREFACE)) {
        const session = tunnelHttp2(socket, first, this.opts.target);
        this.track(session, { op: 'Http2Tunnel' });
        return;
      }
      socket.unshift(first);
      this.server.emit('connection', socket);
      socket.resume();
    });
  }

  /** plugchain's own API: requests under /plugchain/v1/ go to `handler` instead of dockerd. */
  setControlHandler(handler: ((req: IncomingMessage, res: ServerResponse) => void) | null): void {
    this.control = handler;
  }

  private control: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const routed = this.router.route(req.method ?? 'GET', req.url ?? '/');
    // plugchain's own API, once the path has passed the same canonical-path rules.
    if (this.control && routed.ok && routed.match.version === null && routed.match.path.startsWith('/plugchain/v1/')) {
      this.control(req, res);
      return;
    }
    const started = process.hrtime.bigint();
    const sock = req.socket;
    const readAtStart = sock.bytesRead;
    const writtenAtStart = sock.bytesWritten;
    const opId = routed.ok ? (routed.match.op?.id ?? 'Unknown') : 'Rejected';
    res.once('close', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const bytesIn = sock.bytesRead - readAtStart;
      const bytesOut = sock.bytesWritten - writtenAtStart;
      const aborted = !res.writableFinished;
      this.log.info({
        reqId: this.nextId++, op: opId, method: req.method, path: req.url, status: res.statusCode,
        bytesIn, bytesOut, durationMs: Math.round(durationMs * 1000) / 1000, client: clientOf(sock),
        ...(aborted ? { aborted: true } : {}),
      }, 'request');
      this.opts.observer?.requestDone({ op: opId, method: req.method ?? 'GET', status: res.statusCode, durationMs, bytesIn, bytesOut, aborted });
    });

    if (!routed.ok) {
      sendEngineError(res, new PlugchainError('PLUGCHAIN_ROUTER_BAD_PATH', `plugchain: refused non-canonical path: ${routed.reason}`));
      return;
    }
    const match = routed.match;
    if (!match.op && this.unknown === 'deny') {
      sendEngineError(res, new PlugchainError('PLUGCHAIN_ROUTER_DENIED', `plugchain: ${req.method} ${match.path} is not a known Engine API operation and unknown operations are denied`));
      return;
    }
    const plan = match.op ? this.chain.planFor(match.op.id) : null;
    if (!plan) {
      this.passThrough.forward(req, res);
      return;
    }
    runChained(this.chainedDeps(), req, res, match, plan).catch((err) => {
      const e = toPlugchainError(err);
      if (e.code === 'PLUGCHAIN_UPSTREAM_UNREACHABLE') this.opts.observer?.upstreamError(opId);
      sendEngineError(res, e);
    });
  }

  /** What a chained request needs from this proxy, read at the time of the request. */
  private chainedDeps(): ChainedDeps {
    return {
      chain: this.chain,
      router: this.router,
      unknown: this.unknown,
      passThrough: this.passThrough,
      buffered: this.buffered,
      bodyLimit: this.bodyLimit,
      log: this.log,
      daemonUrl: this.opts.target.address.url,
    };
  }

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    this.connections.forget(socket);
    const routed = this.router.route(req.method ?? 'GET', req.url ?? '/');
    if (!routed.ok) {
      const body = JSON.stringify({ message: `plugchain: refused non-canonical path: ${routed.reason}` });
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    const session = relayHijack(req, socket, head, this.opts.target);
    this.track(session, { op: routed.match.op?.id ?? 'Unknown', method: req.method, path: req.url, client: clientOf(socket) });
  }

  private track(session: HijackSession, bindings: { op: string } & Record<string, unknown>): void {
    const started = Date.now();
    this.hijacks.add(session);
    this.opts.observer?.hijackOpened(bindings.op);
    session.done.then((s) => {
      this.hijacks.delete(session);
      const durationMs = Date.now() - started;
      this.log.info({ ...bindings, hijacked: true, status: s.status, bytesIn: s.bytesToDaemon, bytesOut: s.bytesToClient, durationMs, ...(s.error ? { error: s.error } : {}) }, 'hijacked session');
      this.opts.observer?.hijackClosed({ op: bindings.op, status: s.status, durationMs, bytesToDaemon: s.bytesToDaemon, bytesToClient: s.bytesToClient, error: s.error });
    });
  }

  private upstreamError(err: Error, req: IncomingMessage, res: ServerResponse): void {
    this.log.warn({ err: err.message, path: req.url }, 'upstream error');
    if (this.opts.observer) {
      const routed = this.router.route(req.method ?? 'GET', req.url ?? '/');
      this.opts.observer.upstreamError(routed.ok ? (routed.match.op?.id ?? 'Unknown') : 'Rejected');
    }
    sendEngineError(res, new PlugchainError('PLUGCHAIN_UPSTREAM_UNREACHABLE', `plugchain: cannot reach the Docker daemon at ${this.opts.target.address.url}: ${err.message}`, { cause: err }));
  }

  get openHijacks(): number {
    return this.hijacks.size;
  }

  /**
   * Graceful stop: no new requests; ordinary requests in flight get `graceMs` to finish; hijacked
   * sessions are closed (they are unbounded by nature).
   */
  async close(graceMs = 10_000): Promise<void> {
    for (const s of this.hijacks) s.destroy();
    await this.connections.drain(graceMs);
    this.passThrough.close();
    await this.buffered.close();
    this.opts.target.close();
  }
}

function clientOf(sock: Socket): string {
  return sock.remoteAddress ? `${sock.remoteAddress}:${sock.remotePort}` : 'unix';
}

