import { execFile } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { defaultConfig } from '../../src/config/config.js';
import { startServer } from '../../src/server/start-server.js';
import { silentLogger } from '../../src/logging/logger.js';

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'plugchain.js');

function serve(args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, 'serve', '--log-level', 'silent', ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

function request(socketPath: string, path: string): Promise<{ status: number; body: string; code?: string }> {
  return new Promise((resolveP, reject) => {
    const req = http.request({ socketPath, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolveP({ status: res.statusCode!, body, code: res.headers['x-plugchain-error'] as string | undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('plugchain serve refuses bad input with one clear line and a non-zero exit', () => {
  it('unknown listen scheme', async () => {
    const r = await serve(['--listen', 'foo://x', '--upstream', inject('dockerHost')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('plugchain: unknown address scheme "foo" in "foo://x" (use unix:// or tcp://)');
  });

  it('unreachable explicit upstream', async () => {
    const dir = mkdtempSync(join(inject('runDir'), 'se-'));
    const r = await serve(['--listen', `unix://${join(dir, 'p.sock')}`, '--upstream', `unix://${join(dir, 'nothing.sock')}`]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`plugchain: cannot reach the Docker daemon at unix://${join(dir, 'nothing.sock')}; start it, or pass --upstream`);
  });

  it('socket path in use by another live process', async () => {
    const dir = mkdtempSync(join(inject('runDir'), 'se-'));
    const sock = join(dir, 'busy.sock');
    const holder = http.createServer();
    await new Promise<void>((r) => holder.listen(sock, () => r()));
    try {
      const r = await serve(['--listen', `unix://${sock}`, '--upstream', inject('dockerHost')]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`plugchain: cannot listen on unix://${sock}: socket is in use by another process`);
    } finally {
      holder.close();
    }
  });
});

describe('errors towards Docker API clients', () => {
  it('a daemon that goes away gives 502 with a Docker-style message; non-canonical paths give 400', async () => {
    const dir = mkdtempSync(join(inject('runDir'), 'se-'));
    const fakeSock = join(dir, 'fake.sock');
    // A stand-in daemon for this unit case only: it answers _ping, then disappears.
    const fake = http.createServer((_req, res) => res.end('OK'));
    await new Promise<void>((r) => fake.listen(fakeSock, () => r()));
    const server = await startServer({ ...defaultConfig(), listen: [`unix://${join(dir, 'p.sock')}`], upstream: `unix://${fakeSock}`, stateDir: dir, logLevel: 'silent' }, { logger: silentLogger });
    try {
      const sock = join(dir, 'p.sock');
      expect((await request(sock, '/_ping')).status).toBe(200);
      const bad = await request(sock, '/v1.41/containers/../info');
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.body)).toEqual({ message: 'plugchain: refused non-canonical path: dot segment ".." in path' });
      expect(bad.code).toBe('PLUGCHAIN_ROUTER_BAD_PATH');
      await new Promise<void>((r) => fake.close(() => r()));
      fake.closeAllConnections();
      const gone = await request(sock, '/v1.41/info');
      expect(gone.status).toBe(502);
      expect(JSON.parse(gone.body).message).toMatch(new RegExp(`^plugchain: cannot reach the Docker daemon at unix://${fakeSock}: `));
    } finally {
      await server.close();
    }
  });
});
