import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { docker, dockerOk, uniqueName } from '../harness/docker-cli.js';
import { startProxy } from '../harness/proxy.js';
import type { RunningServer } from '../../src/server/start-server.js';

/**
 * The docker CLI through plugchain must behave exactly as it does straight against dockerd: same
 * output, same exit code. Each case runs both ways.
 */
let proxy: RunningServer & { host: string };
const direct = () => inject('dockerHost');
const image = () => inject('image');

function runScript(command: string, host: string): Promise<{ stdout: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: { ...process.env, DOCKER_HOST: host }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, code });
    });
  });
}

async function both(args: (host: string) => string[], input?: string) {
  const d = await docker(args(direct()), { host: direct(), input });
  const p = await docker(args(proxy.host), { host: proxy.host, input });
  return { d, p };
}

// Both streaming forwarders must be byte-exact; undici is the default (see README benchmarks).
describe.each(['undici', 'http-proxy'] as const)('docker CLI through plugchain (%s forwarder)', (forwarder) => {
  beforeAll(async () => {
    proxy = await startProxy({ forwarder });
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('run: output and exit code', async () => {
    const { d, p } = await both(() => ['run', '--rm', image(), 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(p.code).toBe(3);
    expect(p).toEqual(d);
  });

  it('run -i: stdin reaches the container and output after stdin EOF still arrives', async () => {
    const { d, p } = await both(() => ['run', '-i', '--rm', image(), 'sh', '-c', 'cat; sleep 1; echo late'], 'piped-in\n');
    expect(p.stdout).toBe('piped-in\nlate\n');
    expect(p).toEqual(d);
  });

  it('exec, exec -i with late output, exec -t under a pseudo-terminal', async () => {
    for (const host of [direct(), proxy.host]) {
      const name = uniqueName('exec');
      await dockerOk(['run', '-d', '--name', name, image(), 'sleep', '300'], { host });
      try {
        expect((await dockerOk(['exec', name, 'echo', 'hi'], { host }))).toBe('hi\n');
        const r = await docker(['exec', '-i', name, 'sh', '-c', 'cat; sleep 1; echo late'], { host, input: 'x\n' });
        expect(r).toMatchObject({ code: 0, stdout: 'x\nlate\n' });
        const t = await docker(['exec', name, 'sh', '-c', 'exit 7'], { host });
        expect(t.code).toBe(7);
        // script gives the CLI a real terminal, so it asks for a TTY exec. Async: the proxy runs
        // in this process, so a blocking spawnSync would starve it.
        const tty = await runScript(`docker exec -t ${name} sh -c 'test -t 1 && echo tty-ok'`, host);
        expect(tty.stdout).toContain('tty-ok');
        expect(tty.code).toBe(0);
      } finally {
        await docker(['rm', '-f', name], { host });
      }
    }
  });

  it('attach sees output the container writes later', async () => {
    const name = uniqueName('attach');
    await dockerOk(['run', '-d', '--name', name, image(), 'sh', '-c', 'sleep 2; echo attached-out; sleep 1'], { host: proxy.host });
    const r = await docker(['attach', name], { host: proxy.host });
    expect(r.stdout).toBe('attached-out\n');
    expect(r.code).toBe(0);
    await docker(['rm', '-f', name], { host: proxy.host });
  });

  it('logs -f streams while the container writes and ends when it exits', async () => {
    const name = uniqueName('logs');
    await dockerOk(['run', '-d', '--name', name, image(), 'sh', '-c', 'for i in 1 2 3; do echo line$i; sleep 1; done'], { host: proxy.host });
    const r = await docker(['logs', '-f', name], { host: proxy.host });
    expect(r.stdout).toBe('line1\nline2\nline3\n');
    await docker(['rm', '-f', name], { host: proxy.host });
  });

  it('events stream and stop at --until', async () => {
    const since = Math.floor(Date.now() / 1000);
    const name = uniqueName('events');
    await dockerOk(['run', '--rm', '--name', name, image(), 'true'], { host: proxy.host });
    const until = Math.floor(Date.now() / 1000) + 2;
    const args = (h: string) => ['events', '--since', String(since), '--until', String(until), '--filter', `container=${name}`, '--format', '{{.Status}}'];
    const { d, p } = await both(args);
    expect(p.stdout).toContain('start');
    expect(p.stdout).toContain('destroy');
    expect(p).toEqual(d);
  });

  it('cp a 100 MB file in and out with the same checksum', async () => {
    const dir = mkdtempSync(join(inject('runDir'), 'cp-'));
    const src = join(dir, 'big.bin');
    const data = Buffer.alloc(100 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 4096) data.writeUInt32LE((i * 2654435761) >>> 0, i);
    writeFileSync(src, data);
    const sum = createHash('sha256').update(data).digest('hex');
    const name = uniqueName('cp');
    const host = proxy.host;
    await dockerOk(['run', '-d', '--name', name, image(), 'sleep', '300'], { host });
    try {
      await dockerOk(['cp', src, `${name}:/tmp/big.bin`], { host, timeoutMs: 120_000 });
      const inside = await dockerOk(['exec', name, 'sha256sum', '/tmp/big.bin'], { host });
      expect(inside.split(' ')[0]).toBe(sum);
      mkdirSync(join(dir, 'out'));
      await dockerOk(['cp', `${name}:/tmp/big.bin`, join(dir, 'out', 'big.bin')], { host, timeoutMs: 120_000 });
      expect(createHash('sha256').update(readFileSync(join(dir, 'out', 'big.bin'))).digest('hex')).toBe(sum);
    } finally {
      await docker(['rm', '-f', name], { host });
    }
  });

  it('build from a context with a 50 MB file, using the local image', async () => {
    const dir = mkdtempSync(join(inject('runDir'), 'build-'));
    writeFileSync(join(dir, 'blob.bin'), Buffer.alloc(50 * 1024 * 1024, 7));
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${image()}\nCOPY blob.bin /blob.bin\nRUN wc -c /blob.bin > /size\n`);
    const tag = `${uniqueName('built')}:t`;
    const r = await docker(['build', '-q', '-t', tag, dir], { host: proxy.host, timeoutMs: 180_000, env: { DOCKER_BUILDKIT: '0' } });
    expect(r.code, r.stderr).toBe(0);
    expect(await dockerOk(['run', '--rm', tag, 'cat', '/size'], { host: proxy.host })).toContain('52428800');
    await docker(['rmi', tag], { host: proxy.host });
  });

  it('export, save and load round-trip', async () => {
    const dir = mkdtempSync(join(inject('runDir'), 'save-'));
    const host = proxy.host;
    const name = uniqueName('export');
    await dockerOk(['create', '--name', name, image(), 'true'], { host });
    await dockerOk(['export', '-o', join(dir, 'fs.tar'), name], { host });
    expect(readFileSync(join(dir, 'fs.tar')).length).toBeGreaterThan(500_000);
    await docker(['rm', name], { host });
    await dockerOk(['save', '-o', join(dir, 'img.tar'), image()], { host });
    const tag = `${uniqueName('loaded')}:t`;
    await dockerOk(['tag', image(), tag], { host });
    await dockerOk(['rmi', tag], { host });
    const loaded = await dockerOk(['load', '-i', join(dir, 'img.tar')], { host });
    expect(loaded).toContain('Loaded image');
  });

  it('stats, top, diff, wait, kill, rename', async () => {
    const host = proxy.host;
    const name = uniqueName('misc');
    await dockerOk(['run', '-d', '--name', name, image(), 'sh', '-c', 'touch /made; sleep 300'], { host });
    try {
      const stats = await dockerOk(['stats', '--no-stream', '--format', '{{.Name}}', name], { host });
      expect(stats.trim()).toBe(name);
      expect(await dockerOk(['top', name], { host })).toContain('sleep 300');
      await new Promise((r) => setTimeout(r, 300));
      expect(await dockerOk(['diff', name], { host })).toContain('A /made');
      await dockerOk(['rename', name, `${name}-r`], { host });
      const waiter = docker(['wait', `${name}-r`], { host });
      await dockerOk(['kill', `${name}-r`], { host });
      expect((await waiter).stdout.trim()).toBe('137');
    } finally {
      await docker(['rm', '-f', `${name}-r`], { host });
    }
  });

  it('volume and network create/ls/rm', async () => {
    const vol = uniqueName('vol');
    const net = uniqueName('net');
    const host = proxy.host;
    expect((await dockerOk(['volume', 'create', vol], { host })).trim()).toBe(vol);
    expect(await dockerOk(['volume', 'ls', '-q'], { host })).toContain(vol);
    await dockerOk(['volume', 'rm', vol], { host });
    // An internal bridge network: a bridge this test creates and removes, no routing, no iptables.
    await dockerOk(['network', 'create', '--internal', '--subnet', '10.213.7.0/24', net], { host });
    expect(await dockerOk(['network', 'ls', '--format', '{{.Name}}'], { host })).toContain(net);
    await dockerOk(['network', 'rm', net], { host });
    expect(await dockerOk(['network', 'ls', '--format', '{{.Name}}'], { host })).not.toContain(net);
  });

  it('version negotiation: the CLI negotiates the daemon API version through the proxy', async () => {
    const { d, p } = await both(() => ['version', '--format', '{{.Client.APIVersion}} {{.Server.APIVersion}}']);
    expect(p.code).toBe(0);
    expect(p.stdout).toBe(d.stdout);
    const old = await docker(['version', '--format', '{{.Client.APIVersion}}'], { host: proxy.host, env: { DOCKER_API_VERSION: '1.40' } });
    expect(old.stdout.trim()).toBe('1.40');
  });
});
