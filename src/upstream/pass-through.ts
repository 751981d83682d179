import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import httpProxy from 'http-proxy';
import type { DaemonTarget } from './daemon-target.js';

/** Response headers that describe one hop and must not be copied to the next. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'te', 'trailer', 'upgrade']);

export interface ForwardOverrides {
  /** A replacement body (already buffered and possibly rewritten by hooks). */
  body?: Buffer;
}

export type ForwardErrorHandler = (err: Error, req: IncomingMessage, res: ServerResponse) => void;

/**
 * Streams a request to the daemon and its response back, with no buffering in either direction
 * and no idle timeout. The response head is flushed as soon as it arrives when the body is
 * open-ended, because the docker CLI waits for the head of `POST /containers/{id}/wait` before it
 * starts an attached container.
 */
export class PassThrough {
  private readonly proxy: httpProxy;

  constructor(target: DaemonTarget, onError: ForwardErrorHandler) {
    this.proxy = httpProxy.createProxyServer({
      target: target.requestTarget() as unknown as httpProxy.ServerOptions['target'],
      agent: target.agent,
      selfHandleResponse: true,
      xfwd: false,
      ws: false,
      proxyTimeout: 0,
      timeout: 0,
    });
    this.proxy.on('proxyRes', relayResponse);
    this.proxy.on('error', (err, req, res) => onError(err, req as IncomingMessage, res as ServerResponse));
  }

  forward(req: IncomingMessage, res: ServerResponse, overrides?: ForwardOverrides): void {
    if (overrides?.body) {
      delete req.headers['transfer-encoding'];
      req.headers['content-length'] = String(overrides.body.length);
      this.proxy.web(req, res, { buffer: Readable.from([overrides.body]) });
    } else {
      this.proxy.web(req, res);
    }
  }

  close(): void {
    this.proxy.close();
  }
}

function relayResponse(proxyRes: IncomingMessage, _req: IncomingMessage, res: ServerResponse): void {
  const raw = proxyRes.rawHeaders;
  const headers: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (!HOP_BY_HOP.has(raw[i]!.toLowerCase())) headers.push(raw[i]!, raw[i + 1]!);
  }
  res.writeHead(proxyRes.statusCode ?? 502, proxyRes.statusMessage, headers);
  if (proxyRes.headers['content-length'] === undefined) res.flushHeaders();
  proxyRes.pipe(res);
}
