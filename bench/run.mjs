#!/usr/bin/env node
// Side-by-side benchmark: the same workloads straight against dockerd and through plugchain, in
// one run, with ratios. Not a test: it prints numbers. Usage:
//   npm run bench                 (starts a private dockerd of its own)
//   DOCKER_HOST=unix:///… npm run bench -- --quick
import http from 'node:http';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startPrivateDockerd, removeStateDir } from '../dist/lab/private-dockerd.js';
import { importBusyboxImage } from '../dist/lab/busybox-image.js';

const quick = process.argv.includes('--quick');
const REPS = quick ? 1 : 3;
const MB = 1024 * 1024;

function agentFor(socketPath, maxSockets) {
  return new http.Agent({ keepAlive: true, maxSockets });
}

function get(socketPath, agent, path) {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, agent, path, method: 'GET' }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end();
  });
}

async function latency(socketPath, path, n) {
  const agent = agentFor(socketPath, 1);
  for (let i = 0; i < 200; i++) await get(socketPath, agent, path);
  const t = [];
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await get(socketPath, agent, path);
    t.push(performance.now() - s);
  }
  const total = performance.now() - start;
  agent.destroy();
  t.sort((a, b) => a - b);
  return { p50: t[Math.floor(n * 0.5)], p99: t[Math.floor(n * 0.99)], rps: n / (total / 1000) };
}

async function throughput(socketPath, path, concurrency, durationMs) {
  const agent = agentFor(socketPath, concurrency);
  let done = 0;
  const end = performance.now() + durationMs;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      await get(socketPath, agent, path);
      done++;
    }
  }));
  agent.destroy();
  return done / (durationMs / 1000);
}

function timeCli(host, args) {
  return new Promise((resolve, reject) => {
    const s = performance.now();
    const child = spawn('docker', args, { env: { ...process.env, DOCKER_HOST: host }, stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    child.stdout.on('data', (c) => (bytes += c.length));
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    child.on('close', (code) => (code === 0 ? resolve({ ms: performance.now() - s, bytes }) : reject(new Error(`docker ${args.join(' ')}: ${err}`))));
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function rssOf(pid) {
  try {
    return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) * 1024;
  } catch {
    return 0;
  }
}

async function main() {
  const dir = mkdtempSync('/tmp/pcb-');
  let daemon = null;
  let direct = process.env.DOCKER_HOST;
  if (!direct) {
    daemon = await startPrivateDockerd({ stateDir: join(dir, 'd') });
    direct = daemon.dockerHost;
  }
  const directSock = direct.replace('unix://', '');
  const image = importBusyboxImage(direct);
  const proxySock = join(dir, 'p.sock');
  const proxy = spawn(process.execPath, ['bin/plugchain.js', 'serve', '--upstream', direct, '--listen', `unix://${proxySock}`, '--log-level', process.env.BENCH_LOG_LEVEL ?? 'info'],
    { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise((r) => proxy.stdout.once('data', r));
  const via = `unix://${proxySock}`;
  const sockets = { direct: directSock, proxy: proxySock };
  const hosts = { direct, proxy: via };
  const d = (args) => execFileSync('docker', args, { env: { ...process.env, DOCKER_HOST: direct }, encoding: 'utf8' }).trim();

  const rows = [];
  const row = (name, unit, a, b, higherIsBetter = true) => rows.push({ name, unit, direct: a, proxy: b, ratio: higherIsBetter ? b / a : a / b });

  // 1. /_ping
  const pings = { direct: [], proxy: [] };
  const c32 = { direct: [], proxy: [] };
  for (let r = 0; r < REPS; r++) {
    for (const k of ['direct', 'proxy']) {
      pings[k].push(await latency(sockets[k], '/_ping', quick ? 1000 : 3000));
      c32[k].push(await throughput(sockets[k], '/_ping', 32, quick ? 1500 : 3000));
    }
  }
  const pick = (arr, f) => median(arr.map(f));
  row('/_ping c=1 p50', 'ms', pick(pings.direct, (x) => x.p50), pick(pings.proxy, (x) => x.p50), false);
  row('/_ping c=1 p99', 'ms', pick(pings.direct, (x) => x.p99), pick(pings.proxy, (x) => x.p99), false);
  row('/_ping c=1', 'req/s', pick(pings.direct, (x) => x.rps), pick(pings.proxy, (x) => x.rps));
  row('/_ping c=32', 'req/s', median(c32.direct), median(c32.proxy));

  // 2. containers/json with 50 containers
  const made = [];
  for (let i = 0; i < 50; i++) made.push(d(['create', image, 'true']));
  const lists = { direct: [], proxy: [] };
  for (let r = 0; r < REPS; r++) for (const k of ['direct', 'proxy']) lists[k].push((await latency(sockets[k], '/containers/json?all=1', 300)).rps);
  row('containers/json (50) c=1', 'req/s', median(lists.direct), median(lists.proxy));
  d(['rm', ...made]);

  // 3. streams through the real CLI
  const c = d(['run', '-d', image, 'sleep', '3600']);
  const execMB = quick ? 100 : 500;
  const cpMB = quick ? 100 : 300;
  const logMB = quick ? 50 : 200;
  d(['exec', c, 'sh', '-c', `head -c ${cpMB * MB} /dev/zero > /big`]);
  const logC = d(['run', '-d', image, 'sh', '-c', `head -c ${logMB * MB} /dev/zero | tr '\\0' x | fold -w 100 2>/dev/null || head -c ${logMB * MB} /dev/zero | tr '\\0' '\\n'`]);
  d(['wait', logC]);
  let peakRss = 0;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, rssOf(proxy.pid))), 100);
  const baseRss = rssOf(proxy.pid);
  const streams = { exec: { direct: [], proxy: [] }, cp: { direct: [], proxy: [] }, logs: { direct: [], proxy: [] } };
  for (let r = 0; r < REPS; r++) {
    for (const k of ['direct', 'proxy']) {
      const e = await timeCli(hosts[k], ['exec', c, 'head', '-c', String(execMB * MB), '/dev/zero']);
      streams.exec[k].push(e.bytes / MB / (e.ms / 1000));
      const p = await timeCli(hosts[k], ['cp', `${c}:/big`, '-']);
      streams.cp[k].push(p.bytes / MB / (p.ms / 1000));
      const l = await timeCli(hosts[k], ['logs', logC]);
      streams.logs[k].push(l.bytes / MB / (l.ms / 1000));
    }
  }
  clearInterval(rssTimer);
  row(`exec output ${execMB} MB`, 'MB/s', median(streams.exec.direct), median(streams.exec.proxy));
  row(`docker cp ${cpMB} MB`, 'MB/s', median(streams.cp.direct), median(streams.cp.proxy));
  row(`logs ${logMB} MB`, 'MB/s', median(streams.logs.direct), median(streams.logs.proxy));
  d(['rm', '-f', c, logC]);

  const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(3));
  console.log(`\n| workload | unit | direct | plugchain | ratio (1.0 = as fast as direct) |\n|---|---|---|---|---|`);
  for (const r of rows) console.log(`| ${r.name} | ${r.unit} | ${fmt(r.direct)} | ${fmt(r.proxy)} | ${r.ratio.toFixed(2)}x |`);
  console.log(`\nproxy RSS: ${(baseRss / MB).toFixed(0)} MB before the streams, ${(peakRss / MB).toFixed(0)} MB peak while ${REPS * (execMB + cpMB + logMB)} MB streamed through.`);
  console.log(`(${REPS} repetition(s), median; ${new Date().toISOString()}; node ${process.version})`);

  proxy.kill('SIGTERM');
  await new Promise((r) => proxy.once('exit', r));
  if (daemon) await daemon.stop();
  removeStateDir(dir);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
