import type { Socket } from 'node:net';
import type { DaemonTarget } from './daemon-target.js';
import type { HijackSession, HijackSummary } from './hijack-relay.js';

/**
 * HTTP/2 with prior knowledge (a gRPC client talking straight to dockerd): nothing to route at the
 * HTTP/1 level, so the whole connection is tunnelled byte for byte, half-close included.
 */
export function tunnelHttp2(client: Socket, first: Buffer, target: DaemonTarget): HijackSession {
  const upstream = target.connect();
  const summary: HijackSummary = { statusLine: 'HTTP/2 prior knowledge', status: 0, bytesToDaemon: first.length, bytesToClient: 0 };
  const done = new Promise<HijackSummary>((resolve) => {
    let open = 2;
    const closed = () => {
      if (--open === 0) resolve(summary);
    };
    upstream.once('connect', () => {
      upstream.write(first);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    client.on('data', (c: Buffer) => (summary.bytesToDaemon += c.length));
    upstream.on('data', (c: Buffer) => (summary.bytesToClient += c.length));
    upstream.on('error', (err) => {
      summary.error ??= err.message;
      client.destroy();
    });
    client.on('error', (err) => {
      summary.error ??= err.message;
      upstream.destroy();
    });
    upstream.once('close', closed);
    client.once('close', () => {
      upstream.destroy();
      closed();
    });
  });
  return { done, destroy: () => { client.destroy(); upstream.destroy(); } };
}
