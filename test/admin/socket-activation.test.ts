import { afterAll, describe, expect, inject, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dockerOk } from '../harness/docker-cli.js';

/**
 * systemd-socket-activate hands plugchain serve a listening socket, as plugchain.socket does. It
 * comes with Debian's systemd package, which .ci/run installs when it is missing.
 */
const activator = execFileSync('sh', ['-c', 'command -v systemd-socket-activate'], { encoding: 'utf8' }).trim();

let child: ChildProcess | null = null;
let dir = '';

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('socket activation', () => {
  it('serves the socket systemd passed (LISTEN_FDS) instead of its listen addresses', async () => {
    dir = mkdtempSync(join(inject('runDir'), 'sa-'));
    const sock = join(dir, 'activated.sock');
    let stdout = '';
    let stderr = '';
    child = spawn(activator, ['-l', sock, process.execPath, resolve('bin/plugchain.js'), 'serve',
      '--upstream', inject('dockerHost'), '--listen', `unix://${join(dir, 'ignored.sock')}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    // The first connection starts plugchain (systemd-socket-activate waits for it), and is served.
    for (let i = 0; ; i++) {
      try {
        const v = await dockerOk(['version', '--format', '{{.Server.Version}}'], { host: `unix://${sock}`, timeoutMs: 20_000 });
        expect(v.trim()).toMatch(/^\d+\.\d+/);
        break;
      } catch (err) {
        if (i > 50) throw new Error(`${(err as Error).message}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(stdout).toContain(`export DOCKER_HOST=unix://${sock}`);
    expect(stdout).not.toContain('ignored.sock');
    expect(stderr).toContain('serving sockets passed by systemd');
  });
});
