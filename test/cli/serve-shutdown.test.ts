import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import http from 'node:http';
import { join, resolve } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { docker, dockerOk, uniqueName } from '../harness/docker-cli.js';

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'plugchain.js');

describe('graceful shutdown on SIGTERM', () => {
  it('lets an in-flight request finish, closes hijacked sessions, removes the socket and exits 0', async () => {
    const dir = mkdtempSync(join(inject('runDir'), 'sd-'));
    const sock = join(dir, 'p.sock');
    const child = spawn(process.execPath, [BIN, 'serve', '--listen', `unix://${sock}`, '--upstream', inject('dockerHost'), '--log-level', 'silent'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await new Promise((r) => child.stdout.once('data', r));
    const host = `unix://${sock}`;
    const name = uniqueName('sd');
    // A container that ignores SIGTERM: `stop -t 3` takes three seconds.
    await dockerOk(['run', '-d', '--name', name, inject('image'), 'sh', '-c', "trap '' TERM; sleep 300"], { host: inject('dockerHost') });
    try {
      const attach = docker(['attach', name], { host });
      await new Promise((r) => setTimeout(r, 500));
      const stop = new Promise<number>((resolveStop, reject) => {
        const req = http.request({ socketPath: sock, method: 'POST', path: `/v1.41/containers/${name}/stop?t=3` }, (res) => {
          res.resume();
          res.on('end', () => resolveStop(res.statusCode!));
        });
        req.on('error', reject);
        req.end();
      });
      await new Promise((r) => setTimeout(r, 500));
      child.kill('SIGTERM');
      expect(await stop).toBe(204);
      expect(await exited).toBe(0);
      expect(existsSync(sock)).toBe(false);
      const a = await attach;
      expect(a.code).not.toBeNull(); // the attach session ended instead of hanging
    } finally {
      await docker(['rm', '-f', name], { host: inject('dockerHost') });
      child.kill('SIGKILL');
    }
  });
});
