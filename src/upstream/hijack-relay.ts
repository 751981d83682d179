import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { DaemonTarget } from './daemon-target.js';

export interface HijackSummary {
  /** Status line dockerd answered with, e.g. "HTTP/1.1 101 UPGRADED". */
  statusLine: string;
  status: number;
  bytesToDaemon: number;
  bytesToClient: number;
  error?: string;
}

export interface HijackSession {
  readonly done: Promise<HijackSummary>;
  /** Ends both sides now (shutdown). */
  destroy(): void;
}

/**
 * Relays a hijacked connection (attach, exec start, BuildKit session/grpc): the client's request
 * head and whatever bytes came with it go to the daemon on a fresh raw connection; from then on
 * bytes flow both ways untouched. dockerd's own status line and headers reach the client as sent.
 * Half-close is preserved: the client's write shutdown (stdin EOF) becomes a write shutdown towards
 * the daemon, and the daemon's output keeps flowing until it ends its side.
 */
export function relayHijack(
  req: IncomingMessage,
  client: Socket,
  head: Buffer,
  target: DaemonTarget,
): HijackSession {
  const upstream = target.connect();
  const summary: HijackSummary = { statusLine: '', status: 0, bytesToDaemon: 0, bytesToClient: 0 };
  client.setNoDelay(true);
  client.setTimeout(0);
  // Hold the client's bytes until the daemon connection is up; pipe() resumes it.
  client.pause();

  const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) lines.push(`${raw[i]}: ${raw[i + 1]}`);
  const requestHead = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');

  const done = new Promise<HijackSummary>((resolve) => {
    let clientClosed = false;
    let upstreamClosed = false;
    const finish = () => {
      if (clientClosed && upstreamClosed) resolve(summary);
    };

    upstream.once('connect', () => {
      upstream.write(requestHead);
      if (head.length > 0) upstream.write(head);
      summary.bytesToDaemon += head.length;
      client.on('data', (chunk: Buffer) => {
        summary.bytesToDaemon += chunk.length;
      });
      client.pipe(upstream);
    });
    // tls sockets emit secureConnect; connect also fires for them, which is what we want.

    let sniffed = false;
    upstream.on('data', (chunk: Buffer) => {
      if (!sniffed) {
        sniffed = true;
        const eol = chunk.indexOf('\r\n');
        summary.statusLine = chunk.subarray(0, eol === -1 ? Math.min(chunk.length, 200) : eol).toString('latin1');
        summary.status = Number(/^HTTP\/\d\.\d (\d{3})/.exec(summary.statusLine)?.[1] ?? 0);
      }
      summary.bytesToClient += chunk.length;
      if (!client.write(chunk)) {
        upstream.pause();
        client.once('drain', () => upstream.resume());
      }
    });
    upstream.on('end', () => client.end());
    upstream.on('error', (err) => {
      summary.error ??= err.message;
      if (!sniffed) {
        const body = JSON.stringify({ message: `plugchain: cannot reach the Docker daemon at ${target.address.url}: ${err.message}` });
        client.end(`HTTP/1.1 502 Bad Gateway\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      } else {
        client.destroy();
      }
    });
    client.on('error', (err) => {
      summary.error ??= err.message;
      upstream.destroy();
    });
    upstream.on('close', () => {
      upstreamClosed = true;
      // The daemon is gone: nothing more can reach the client.
      if (!client.writableEnded) client.end();
      finish();
    });
    client.on('close', () => {
      clientClosed = true;
      upstream.destroy();
      finish();
    });
  });

  return {
    done,
    destroy() {
      client.destroy();
      upstream.destroy();
    },
  };
}
