import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../src/lab/start-lab.js';
import { downLab } from '../../src/lab/stop-lab.js';
import { readLabState } from '../../src/lab/lab-state.js';
import { dockerCli, dockerOk } from '../../src/lab/lab-docker.js';
import { isAlive } from '../../src/lab/process-tools.js';
import { ping } from '../../src/lab/private-dockerd.js';
import { openStore } from '../../src/store/open-store.js';
import { restartHostPlugchain } from '../../src/lab/host-processes.js';
import { runDemo } from '../../src/lab/demo.js';

/**
 * The multi-host lab, for real: private dockerds in their own mount namespaces, reference plugins
 * behind plugchain shims, one bridge in the lab's own network namespace. Labs are expensive (two
 * dockerd start-ups each), so this file holds them all: one lab on the file store that every
 * check shares, and one on etcd, brought up through the CLI as a user would.
 */
const run = promisify(execFile);
const uniq = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
let lab: Lab | null = null;
let dir = '';

beforeAll(async () => {
  dir = mkdtempSync('/tmp/pcl-');
  lab = await startLab({ dir, hosts: 2, store: 'file' });
}, 120_000);

afterAll(async () => {
  if (lab && existsSync(join(dir, 'lab.json'))) await downLab(dir);
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

const img = () => lab!.image;
const A = () => lab!.host('a');
const B = () => lab!.host('b');

describe('a two-host lab', () => {
  it('comes up with two hosts, each its own daemon behind its own plugchain, seeing only the shims', async () => {
    expect(lab!.hosts.map((h) => h.name)).toEqual(['a', 'b']);
    const state = readLabState(join(dir, 'lab.json'))!;
    expect(state.ready).toBe(true);
    for (const h of lab!.hosts) {
      for (const pid of Object.values(h.pids)) expect(isAlive(pid)).toBe(true);
      expect(await ping(h.proxySocket)).toBe(true);
      // The plugins dir dockerd sees holds the shims only; the real plugins listen elsewhere.
      expect(readdirSync(h.pluginsDir).sort()).toEqual(['flocker.sock', 'weave.sock']);
      expect(h.volumeDriver).toBe('flocker');
      expect(h.networkDriver).toBe('weave');
      // Through plugchain: the image is there (never pulled) and so is the lab network.
      expect(await dockerOk(h.proxyHost, ['image', 'inspect', '-f', '{{.Id}}', img()])).toMatch(/^sha256:/);
      expect(await dockerOk(h.proxyHost, ['network', 'inspect', '-f', '{{.Driver}}', lab!.network!.name])).toBe('weave');
      const cfg = readFileSync(join(h.stateDir, 'plugchain.yaml'), 'utf8');
      expect(cfg).toContain(`self: ${h.name}`);
      expect(cfg).toContain(`store: ${lab!.storeUrl}`);
    }
    // Two separate daemons.
    const ids = await Promise.all(lab!.hosts.map((h) => dockerOk(h.proxyHost, ['info', '-f', '{{.DockerRootDir}}'])));
    expect(ids).toEqual(lab!.hosts.map((h) => join(h.stateDir, 'docker', 'data')));
    // The bridge is in the lab's namespace, not in ours.
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).toContain(lab!.netns);
    expect(execFileSync('ip', ['-n', lab!.netns, '-o', 'link', 'show', lab!.bridge], { encoding: 'utf8' })).toContain(lab!.bridge);
    expect(linkNames()).not.toContain(lab!.bridge);
  });

  it('a container on host a with a chained volume and a weave address is reachable from host b', async () => {
    const vol = `appdata-${uniq}`;
    await dockerOk(A().proxyHost, ['run', '-d', '--name', 'app', '--network', lab!.network!.name, '--ip', '10.213.10.50',
      '-v', `${vol}:/data`, '--volume-driver', 'flocker', img(),
      'sh', '-c', `echo "data written on $(hostname) for ${uniq}" > /data/index.html; exec httpd -f -p 80 -h /data`]);
    expect(readFileSync(join(A().datasetsDir, vol, 'index.html'), 'utf8')).toContain(uniq);
    const got = await fetchFrom(B().proxyHost, 'http://10.213.10.50/index.html');
    expect(got).toContain(`for ${uniq}`);
  });

  it('the dataset moves when a container with the same volume and address starts on host b after it is removed on a', async () => {
    const vol = `appdata-${uniq}`;
    await dockerOk(A().proxyHost, ['rm', '-f', 'app']);
    await dockerOk(B().proxyHost, ['run', '-d', '--name', 'app', '--network', lab!.network!.name, '--ip', '10.213.10.50',
      '-v', `${vol}:/data`, '--volume-driver', 'flocker', img(), 'httpd', '-f', '-p', '80', '-h', '/data']);
    // The data is on b now, and only there; the store agrees.
    expect(readFileSync(join(B().datasetsDir, vol, 'index.html'), 'utf8')).toContain(uniq);
    expect(existsSync(join(A().datasetsDir, vol))).toBe(false);
    const store = openStore(lab!.storeUrl);
    expect((await store.get<{ owner: string; movedFrom?: string }>(`flocker/datasets/${vol}`))!.value).toMatchObject({ owner: 'b', movedFrom: 'a' });
    await store.close();
    // Same address, same data, now answered from b, asked from a.
    expect(await fetchFrom(A().proxyHost, 'http://10.213.10.50/index.html')).toContain(`for ${uniq}`);
    // One running copy.
    expect((await dockerCli(A().proxyHost, ['ps', '-q', '--filter', 'name=^app$'])).stdout.trim()).toBe('');
    expect((await dockerOk(B().proxyHost, ['ps', '-q', '--filter', 'name=^app$']))).not.toBe('');
  });

  it('a host\'s plugchain can be restarted (with extra environment); lab.json follows the new pid', async () => {
    const old = readLabState(join(dir, 'lab.json'))!.hosts[0]!.plugchain!.pid;
    const pid = await restartHostPlugchain(dir, 'a', { env: { PLUGCHAIN_LAB_TEST: '1' } });
    expect(pid).not.toBe(old);
    expect(isAlive(old)).toBe(false);
    expect(readLabState(join(dir, 'lab.json'))!.hosts[0]!.plugchain!.pid).toBe(pid);
    expect(readFileSync(`/proc/${pid}/environ`, 'utf8')).toContain('PLUGCHAIN_LAB_TEST=1');
    expect(await dockerOk(A().proxyHost, ['volume', 'ls', '-q', '--filter', 'driver=flocker'])).toContain(`appdata-${uniq}`);
  });

  it('lab down from another process leaves no processes, mounts, netns, bridge, veths or files', async () => {
    const state = readLabState(join(dir, 'lab.json'))!;
    const pids = state.hosts.flatMap((h) => [h.dockerd!.pid, h.plugchain!.pid, h.volumePlugin!.pid, h.networkPlugin!.pid]);
    const store = JSON.parse(readFileSync(join(dir, 'store.json'), 'utf8')) as { entries: Record<string, { value: { srcName?: string; hostEnd?: string } }> };
    const veths = Object.entries(store.entries).filter(([k]) => k.includes('/endpoints/')).map(([, e]) => e.value.srcName!);
    expect(veths.length).toBeGreaterThan(0);

    const out = await run(process.execPath, [resolve('bin/plugchain.js'), 'lab', 'down', '--dir', dir], { timeout: 120_000 });
    expect(out.stderr).toContain('nothing left behind');
    for (const pid of pids) expect(isAlive(pid), `pid ${pid}`).toBe(false);
    expect(readFileSync('/proc/mounts', 'utf8')).not.toContain(dir);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(state.netns);
    const links = linkNames();
    expect(links).not.toContain(state.bridge);
    for (const v of veths) expect(links).not.toContain(v);
    expect(processesNaming(dir)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
    lab = null;
  });
});

describe('a lab on etcd through the CLI, and the demo', () => {
  it('lab up --store etcd returns with the lab running; plugins keep their records in etcd; lab down stops etcd too', async () => {
    const edir = mkdtempSync('/tmp/pcl-');
    try {
      const up = await run(process.execPath, [resolve('bin/plugchain.js'), 'lab', 'up', '--dir', edir, '--store', 'etcd'], { timeout: 120_000 });
      const hosts = [...up.stdout.matchAll(/^export DOCKER_HOST=(\S+)$/gm)].map((m) => m[1]!);
      expect(hosts).toEqual([`unix://${edir}/a/plugchain.sock`, `unix://${edir}/b/plugchain.sock`]);
      expect(up.stdout).toMatch(/lab up: 2 hosts \(a, b\), store etcd:\/\/127\.0\.0\.1:\d+/);
      const state = readLabState(join(edir, 'lab.json'))!;
      expect(isAlive(state.etcd!.pid)).toBe(true);
      const vol = `ev-${uniq}`;
      await dockerOk(hosts[0]!, ['run', '--rm', '--network', 'weave-lab', '--ip', '10.213.10.60', '-v', `${vol}:/data`,
        '--volume-driver', 'flocker', 'plugchain/busybox:local', 'sh', '-c', 'echo on-etcd > /data/f']);
      expect(await fetchOut(hosts[1]!, vol)).toBe('on-etcd');
      const store = openStore(state.storeUrl);
      expect((await store.get<{ owner: string }>(`flocker/datasets/${vol}`))!.value.owner).toBe('b');
      expect((await store.list(`weave/${state.bridge}/networks/`)).length).toBe(2);
      await store.close();

      await run(process.execPath, [resolve('bin/plugchain.js'), 'lab', 'down', '--dir', edir], { timeout: 120_000 });
      expect(isAlive(state.etcd!.pid)).toBe(false);
      expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(state.netns);
      expect(processesNaming(edir)).toEqual([]);
      expect(existsSync(edir)).toBe(false);
    } finally {
      if (existsSync(join(edir, 'lab.json'))) await downLab(edir);
      rmSync(edir, { recursive: true, force: true });
    }
  }, 180_000);

  it('the demo moves the app with its data and address and proves it (moves API when offered, else by hand)', async () => {
    const ddir = mkdtempSync('/tmp/pcd-');
    const lines: string[] = [];
    try {
      const ok = await runDemo({ dir: ddir, store: 'file', keep: false, out: (l) => lines.push(l) });
      expect(ok, lines.join('\n')).toBe(true);
      const text = lines.join('\n');
      for (const proof of ['same data', 'same address', 'one running copy', 'nothing left behind']) expect(text).toMatch(new RegExp(`(OK {3}|  )${proof}`));
      expect(text).toMatch(/moved in [\d.]+ s \((moves API|by hand)\)/);
      expect(existsSync(ddir)).toBe(false);
    } finally {
      if (existsSync(join(ddir, 'lab.json'))) await downLab(ddir);
      rmSync(ddir, { recursive: true, force: true });
    }
  }, 180_000);

  it('lab --help names up, down and demo', async () => {
    const help = await run(process.execPath, [resolve('bin/plugchain.js'), 'lab', '--help']);
    for (const c of ['up', 'down', 'demo']) expect(help.stdout).toMatch(new RegExp(`^\\s+${c}\\b`, 'm'));
  });
});

/** A client container on `host` fetches `url` (busybox wget with an outer timeout). */
async function fetchFrom(host: string, url: string): Promise<string> {
  let last = '';
  for (let i = 0; i < 5; i++) {
    const r = await dockerCli(host, ['run', '--rm', '--network', lab!.network!.name, img(), 'timeout', '3', 'wget', '-q', '-O', '-', url]);
    if (r.code === 0) return r.stdout;
    last = r.stderr;
  }
  throw new Error(`could not fetch ${url} from ${host}: ${last}`);
}

/** Runs a container on `host` that reads /data/f of the dataset `vol` (moving it there). */
async function fetchOut(host: string, vol: string): Promise<string> {
  return dockerOk(host, ['run', '--rm', '-v', `${vol}:/data`, '--volume-driver', 'flocker', 'plugchain/busybox:local', 'cat', '/data/f']);
}

function linkNames(): string[] {
  return execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).split('\n').map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? '').filter(Boolean);
}

function processesNaming(needle: string): string[] {
  const out: string[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(needle) && isAlive(Number(p))) out.push(`${p}: ${cmd}`);
    } catch {
      /* gone */
    }
  }
  return out;
}
