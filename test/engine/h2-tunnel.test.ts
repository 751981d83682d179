import http2 from 'node:http2';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { defaultConfig } from '../../src/config/config.js';
import { startServer } from '../../src/server/start-server.js';
import { silentLogger } from '../../src/logging/logger.js';

/**
 * An HTTP/2 prior-knowledge client (a gRPC client talking straight to the daemon socket) is
 * tunnelled byte for byte. dockerd itself does not serve h2 on its API socket, so the upstream here
 * is a stand-in (unit case): it answers /_ping over HTTP/1 for the start-up check and hands
 * prior-knowledge connections to an HTTP/2 server.
 */
describe('HTTP/2 with prior knowledge', () => {
  it('is tunnelled to the upstream, streams included, and both ends close cleanly', async () => {
    const dir = mkdtempSync(join(inject('runDir'), 'h2-'));
    const upstreamSock = join(dir, 'up.sock');
    const h2 = http2.createServer((req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.write(`h2 ${req.method} ${req.url} `);
      setTimeout(() => res.end('later'), 100);
    });
    const upstream = net.createServer((conn) => {
      conn.once('data', (first: Buffer) => {
        conn.pause();
        if (first.toString('latin1').startsWith('PRI * HTTP/2.0')) {
          // node:http2 reads a net.Socket's handle directly, so the first chunk is handed over in a
          // Duplex that replays it.
          const replay = new Duplex({ read() {}, write: (c, _e, cb) => conn.write(c, cb), final: (cb) => { conn.end(); cb(); } });
          replay.push(first);
          conn.on('data', (d: Buffer) => replay.push(d));
          conn.on('end', () => replay.push(null));
          conn.on('close', () => replay.destroy());
          conn.resume();
          h2.emit('connection', replay);
        } else conn.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK');
      });
    });
    await new Promise<void>((r) => upstream.listen(upstreamSock, () => r()));
    const sock = join(dir, 'p.sock');
    const server = await startServer({ ...defaultConfig(), listen: [`unix://${sock}`], upstream: `unix://${upstreamSock}`, stateDir: dir, logLevel: 'silent' }, { logger: silentLogger });
    try {
      const client = http2.connect('http://docker', { createConnection: () => net.connect(sock) });
      const body = await new Promise<string>((resolve, reject) => {
        const req = client.request({ ':method': 'GET', ':path': '/grpc.health.v1.Health/Check' });
        let text = '';
        req.setEncoding('utf8');
        req.on('data', (c: string) => (text += c));
        req.on('end', () => resolve(text));
        req.on('error', reject);
        req.end();
      });
      expect(body).toBe('h2 GET /grpc.health.v1.Health/Check later');
      await new Promise<void>((r) => client.close(() => r()));
      await new Promise((r) => setTimeout(r, 100));
      expect(server.engine.openHijacks).toBe(0);
    } finally {
      await server.close();
      h2.close();
      upstream.close();
    }
  });
});
