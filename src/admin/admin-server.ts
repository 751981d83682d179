import http from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { listenAddress, type BoundListener } from '../listeners/listen-address.js';
import type { PlugchainMetrics } from './metrics.js';
import type { ReadinessCheck } from './readiness.js';

export interface AdminOptions {
  /** tcp://127.0.0.1:9323 or unix:///run/plugchain/admin.sock */
  address: string;
  metrics: PlugchainMetrics;
  ready: ReadinessCheck;
  logger: Logger;
  /** File mode of a unix admin socket (default 0660). */
  socketMode?: number;
}

export interface AdminServer {
  /** Where it listens, e.g. tcp://127.0.0.1:9323 (the real port when 0 was asked for). */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The admin listener: `GET /metrics` (Prometheus text format), `GET /healthz` (the process is up
 * and serving; never touches the daemon) and `GET /readyz` (200 only when the upstream answers,
 * else 503 with the reason). It is a separate listener so that it can be firewalled apart from
 * the Docker API socket, and it never proxies anything.
 */
export async function startAdminServer(opts: AdminOptions): Promise<AdminServer> {
  const log = opts.logger.child({ component: 'admin' });
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n', { allow: 'GET, HEAD' });
    switch (path) {
      case '/metrics':
        opts.metrics.render().then(
          (m) => send(res, 200, m.contentType, m.body),
          (err: Error) => send(res, 500, 'text/plain', `metrics failed: ${err.message}\n`),
        );
        return;
      case '/healthz':
        return send(res, 200, 'application/json', `${JSON.stringify({ status: 'ok', pid: process.pid, uptimeSeconds: Math.round(process.uptime()) })}\n`);
      case '/readyz':
        opts.ready().then(
          (r) => send(res, r.ready ? 200 : 503, 'application/json', `${JSON.stringify({ status: r.ready ? 'ready' : 'not ready', reason: r.reason })}\n`),
          (err: Error) => send(res, 503, 'application/json', `${JSON.stringify({ status: 'not ready', reason: err.message })}\n`),
        );
        return;
      default:
        return send(res, 404, 'text/plain', 'not found: try /metrics, /healthz, /readyz\n');
    }
  });
  server.keepAliveTimeout = 5_000;
  // The http.Server never listens itself (listenAddress owns the socket), so it cannot see its
  // connections on close: keep them here.
  const open = new Set<Socket>();
  const listener: BoundListener = await listenAddress(opts.address, (s) => {
    open.add(s);
    s.once('close', () => open.delete(s));
    server.emit('connection', s);
  }, { socketMode: opts.socketMode ?? 0o660 });
  log.info({ admin: listener.dockerHost }, 'admin listener serving /metrics /healthz /readyz');
  return {
    url: listener.dockerHost,
    async close() {
      const closed = listener.close();
      for (const s of open) s.destroy();
      await closed;
    },
  };
}

function send(res: http.ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
