import type { IncomingMessage, ServerResponse } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import type { DaemonTarget } from './daemon-target.js';
import type { ForwardErrorHandler, ForwardOverrides } from './pass-through.js';

/** Request headers undici sets itself or refuses, and hop-by-hop headers. */
const DROP_REQUEST = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'expect', 'host']);
const DROP_RESPONSE = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'te', 'trailer', 'upgrade']);

/**
 * Streaming pass-through on undici's dispatcher: the request body streams up, the response streams
 * down with backpressure both ways, the head is flushed at once when the body is open-ended.
 */
export class UndiciForward {
  private readonly pool: Pool;

  constructor(target: DaemonTarget, private readonly onError: ForwardErrorHandler) {
    const { origin, socketPath, connect } = target.undiciPoolOptions();
    this.pool = new Pool(origin, {
      socketPath,
      connect,
      connections: 128,
      pipelining: 1,
      headersTimeout: 0,
      bodyTimeout: 0,
      keepAliveTimeout: 60_000,
    });
  }

  forward(req: IncomingMessage, res: ServerResponse, overrides?: ForwardOverrides): void {
    const raw = req.rawHeaders;
    const headers: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const k = raw[i]!.toLowerCase();
      if (DROP_REQUEST.has(k) || (overrides?.body && k === 'content-length')) continue;
      headers.push(raw[i]!, raw[i + 1]!);
    }
    let body: Dispatcher.DispatchOptions['body'] = null;
    if (overrides?.body) body = overrides.body;
    else if (req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined) body = req;
    let controller: Dispatcher.DispatchController | null = null;
    const onDrain = () => controller?.resume();
    res.on('drain', onDrain);
    res.once('close', () => {
      if (!res.writableFinished) controller?.abort(new Error('client went away'));
    });
    this.pool.dispatch({ method: req.method as Dispatcher.HttpMethod, path: req.url ?? '/', headers, body }, {
      onRequestStart: (c) => {
        controller = c;
      },
      onResponseStart: (_c, status, h, statusMessage) => {
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(h)) if (v !== undefined && !DROP_RESPONSE.has(k)) out[k] = v;
        res.writeHead(status, statusMessage, out);
        if (h['content-length'] === undefined) res.flushHeaders();
      },
      onResponseData: (c, chunk) => {
        if (!res.write(chunk)) c.pause();
      },
      onResponseEnd: () => {
        res.end();
      },
      onResponseError: (_c, err) => {
        if (res.headersSent) res.destroy(err);
        else this.onError(err, req, res);
      },
    });
  }

  close(): void {
    void this.pool.destroy();
  }
}
