import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLab, type Lab, type LabHost } from './start-lab.js';
import { downLab } from './stop-lab.js';
import { dockerCli, dockerOk } from './lab-docker.js';
import { controlCall, messageOf } from './control-client.js';
import { openStore } from '../store/open-store.js';
import { sleep } from './process-tools.js';

/**
 * `npm run demo`: a two-host lab; an app on host a that serves a file from its dataset at a fixed
 * address; a client on host b polling that address; the app moved to host b while the client
 * keeps polling; then the proof (same data, same address, one running copy) and the tear-down.
 */
export interface DemoOptions {
  dir: string;
  store: 'file' | 'etcd';
  /** Leave the lab running at the end. */
  keep: boolean;
  /** 'api' (the moves API), 'manual' (the steps by hand), 'auto' (the API when the host offers it). */
  mode?: 'auto' | 'api' | 'manual';
  out?: (line: string) => void;
}

const APP = 'app';
const CLIENT = 'poller';
const VOLUME = 'appdata';
const APP_IP = '10.213.10.10';

interface MoveOutcome {
  ok: boolean;
  how: 'api' | 'manual';
}

export async function runDemo(opts: DemoOptions): Promise<boolean> {
  const out = opts.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const t0 = Date.now();
  const clock = () => `[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s]`;
  const say = (l: string) => out(`${clock()} ${l}`);
  const timed = async <T>(title: string, fn: () => Promise<T>): Promise<T> => {
    const s = Date.now();
    say(`${title} …`);
    const r = await fn();
    say(`${title}: done in ${((Date.now() - s) / 1000).toFixed(1)} s`);
    return r;
  };

  let lab: Lab | null = null;
  let ok = false;
  try {
    lab = await timed('bringing up a two-host lab (private dockerds, plugchains, flocker + weave plugins)', () =>
      startLab({ dir: opts.dir, hosts: 2, store: opts.store, onStep: (m) => say(`  lab: ${m}`) }));
    const [a, b] = [lab.host('a'), lab.host('b')];
    const net = lab.network!.name;
    for (const h of lab.hosts) say(`  host ${h.name}: export DOCKER_HOST=${h.proxyHost}`);
    say(`  store ${lab.storeUrl}; shared bridge ${lab.bridge} in netns ${lab.netns}; network ${net} ${lab.network!.subnet}`);

    const token = `written-on-host-a-${new Date().toISOString()}`;
    await timed(`host a: docker run ${APP} (-v ${VOLUME}:/data --volume-driver flocker, --network ${net} --ip ${APP_IP}, httpd)`, () =>
      dockerOk(a.proxyHost, appRun(net, lab!.image, token)));
    await timed(`host b: docker run ${CLIENT}, polling http://${APP_IP}/ every 0.5 s`, () =>
      dockerOk(b.proxyHost, ['run', '-d', '--name', CLIENT, '--network', net, lab!.image, 'sh', '-c', POLL_SCRIPT]));
    const before = await waitForPoll(b, (l) => l.includes(' ok '), 30_000);
    say(`  client sees: ${before.trim()}`);
    const dataBefore = await fetchOnce(b, net, lab.image, 'index.html');
    say(`  data on host a: ${dataBefore.trim()} (in ${relative(lab, a, VOLUME)})`);

    const moveStarted = new Date();
    const outcome = await moveApp(opts.mode ?? 'auto', lab, a, b, net, token, say);
    const moveEnded = new Date();
    if (!outcome.ok) throw new Error('the move did not complete');

    const endedAt = hostUptime();
    const after = await waitForPoll(b, (l) => l.includes(' ok ') && uptime(l) >= endedAt, 30_000);
    say(`  client sees: ${after.trim()}`);
    ok = await prove(lab, a, b, net, token, dataBefore, moveStarted, moveEnded, outcome, say);
  } catch (err) {
    say(`demo failed: ${(err as Error).message}`);
    if (lab) say(`  logs: ${lab.dir}/<host>/logs/ (kept with --keep)`);
  } finally {
    if (opts.keep && lab) {
      say(`lab left running (--keep): plugchain lab down --dir ${opts.dir}`);
    } else if (lab || existsSync(join(opts.dir, 'lab.json'))) {
      const report = await timed('tearing the lab down', () => downLab(opts.dir));
      say(report.clean ? '  nothing left behind: no processes, mounts, netns, bridge, veths or files'
        : `  left behind: ${JSON.stringify(report.leftovers)}`);
      ok = ok && report.clean;
    }
  }
  say(ok ? 'demo: OK' : 'demo: FAILED');
  return ok;
}

/** The app: writes its page once (a moved copy finds it), logs each start, serves /data. */
function appRun(net: string, image: string, token: string): string[] {
  return ['run', '-d', '--name', APP, '--network', net, '--ip', APP_IP, '-v', `${VOLUME}:/data`, '--volume-driver', 'flocker',
    image, 'sh', '-c',
    // sh stays PID 1 with a TERM trap, so `docker stop` ends the app at once (httpd as PID 1 would
    // ignore SIGTERM and make every stop wait for the kill timeout).
    `[ -f /data/index.html ] || echo "${token}" > /data/index.html; echo "started in container $(hostname)" >> /data/starts; ` +
    'trap "exit 0" TERM; httpd -f -p 80 -h /data & wait'];
}

/** One line per poll: `<uptime s> ok <body>` or `<uptime s> fail`. busybox wget -T segfaults here: timeout(1) instead. */
const POLL_SCRIPT = `while true; do read t _ < /proc/uptime; ` +
  `if r=$(timeout 3 wget -q -O - http://${APP_IP}/index.html 2>/dev/null); then echo "$t ok $r"; else echo "$t fail"; fi; sleep 0.5; done`;

/**
 * The move, through the moves API on host a's plugchain (POST /plugchain/v1/moves, then GET to
 * follow), or, while a host does not offer it, the same steps by hand.
 */
async function moveApp(mode: 'auto' | 'api' | 'manual', lab: Lab, a: LabHost, b: LabHost, net: string, token: string,
  say: (l: string) => void): Promise<MoveOutcome> {
  let useApi = mode === 'api';
  if (mode === 'auto') {
    const info = await controlCall<{ self?: string; moves?: boolean }>(a.proxySocket, 'GET', '/plugchain/v1/info').catch(() => null);
    useApi = info?.status === 200 && info.body?.moves === true;
    if (!useApi) say('  host a offers no moves API (GET /plugchain/v1/info): using the manual fallback');
  }
  if (useApi) return moveWithApi(a, say);
  return moveByHand(lab, a, b, net, token, say);
}

interface StepView {
  name: string;
  state: string;
  ms?: number;
  note?: string;
  error?: string;
}

async function moveWithApi(a: LabHost, say: (l: string) => void): Promise<MoveOutcome> {
  say(`moving ${APP} to host b: POST /plugchain/v1/moves {"container":"${APP}","to":"b"} on host a's plugchain`);
  const started = Date.now();
  const accepted = await controlCall<{ id: string }>(a.proxySocket, 'POST', '/plugchain/v1/moves', { container: APP, to: 'b' }, 120_000);
  if (accepted.status !== 202) {
    say(`  refused (${accepted.status}): ${messageOf(accepted)}`);
    return { ok: false, how: 'api' };
  }
  const id = accepted.body.id;
  say(`  move ${id} accepted; following GET /plugchain/v1/moves/${id}`);
  const seen = new Map<string, string>();
  const deadline = Date.now() + 5 * 60_000;
  while (Date.now() < deadline) {
    const r = await controlCall<{ state: string; error?: string; steps: StepView[] }>(a.proxySocket, 'GET', `/plugchain/v1/moves/${id}`).catch(() => null);
    if (r?.status === 200) {
      for (const s of r.body.steps) {
        if (s.state === 'pending' || seen.get(s.name) === s.state) continue;
        seen.set(s.name, s.state);
        if (s.state === 'running' || s.state === 'undoing') continue;
        const ms = s.ms !== undefined ? `${String(s.ms).padStart(6)} ms` : '';
        say(`  ${s.name.padEnd(16)} ${s.state.padEnd(11)} ${ms}${s.note ? `  ${s.note}` : ''}${s.error ? `  ${s.error}` : ''}`);
      }
      if (r.body.state === 'done') {
        say(`moved in ${((Date.now() - started) / 1000).toFixed(1)} s (moves API)`);
        return { ok: true, how: 'api' };
      }
      if (r.body.state === 'rolled-back' || r.body.state === 'stuck') {
        say(`  move ${r.body.state}: ${r.body.error ?? ''}`);
        return { ok: false, how: 'api' };
      }
    }
    await sleep(150);
  }
  say('  the move did not finish in 5 minutes');
  return { ok: false, how: 'api' };
}

/**
 * FALLBACK, by hand, for hosts without the moves API: stop and remove on a (dockerd: Leave,
 * DeleteEndpoint, ReleaseAddress, Unmount), then run on b with the same volume and --ip (the
 * volume plugin moves the dataset on Mount; the IPAM hands the released address out again).
 * No journal, no rollback: this is what plugchain's moves replace.
 */
async function moveByHand(lab: Lab, a: LabHost, b: LabHost, net: string, token: string, say: (l: string) => void): Promise<MoveOutcome> {
  say(`moving ${APP} to host b BY HAND (fallback: no moves API)`);
  const started = Date.now();
  const step = async (title: string, fn: () => Promise<unknown>) => {
    const s = Date.now();
    await fn();
    say(`  ${title.padEnd(52)} done ${String(Date.now() - s).padStart(6)} ms`);
  };
  await step('stop on a (network leaves, dataset unmounts)', () => dockerOk(a.proxyHost, ['stop', '-t', '2', APP]));
  await step('remove on a (address released)', () => dockerOk(a.proxyHost, ['rm', APP]));
  await step(`run on b: same volume, --ip ${APP_IP} (data moves)`, () => dockerOk(b.proxyHost, appRun(net, lab.image, token)));
  say(`moved in ${((Date.now() - started) / 1000).toFixed(1)} s (by hand)`);
  return { ok: true, how: 'manual' };
}

async function prove(lab: Lab, a: LabHost, b: LabHost, net: string, token: string, dataBefore: string, moveStarted: Date, moveEnded: Date,
  outcome: MoveOutcome, say: (l: string) => void): Promise<boolean> {
  say('proof:');
  let ok = true;
  const check = (good: boolean, text: string) => {
    say(`  ${good ? 'OK  ' : 'FAIL'} ${text}`);
    ok &&= good;
  };
  // The same data: the page written on host a, served now from host b; the dataset lives on b only.
  const dataAfter = await fetchOnce(a, net, lab.image, 'index.html');
  check(dataAfter.trim() === dataBefore.trim() && dataAfter.includes(token), `same data: "${dataAfter.trim()}" (written on host a before the move)`);
  const starts = (await fetchOnce(a, net, lab.image, 'starts')).trim().split('\n');
  check(starts.length === 2, `the app started twice on one dataset: ${starts.join(' | ')}`);
  const onA = existsSync(join(a.datasetsDir, VOLUME));
  const onB = existsSync(join(b.datasetsDir, VOLUME));
  const store = openStore(lab.storeUrl);
  const owner = (await store.get<{ owner: string }>(`flocker/datasets/${VOLUME}`))?.value.owner;
  await store.close();
  check(onB && !onA && owner === 'b', `dataset ${VOLUME} exists on host b only (${relative(lab, b, VOLUME)}), owner in the store: ${owner}`);
  // The same address.
  const ip = await dockerOk(b.proxyHost, ['inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, APP]);
  check(ip === APP_IP, `same address: ${APP} on host b has ${ip}`);
  // One running copy.
  const onHostA = (await dockerCli(a.proxyHost, ['ps', '-a', '-q', '--filter', `name=^${APP}$`])).stdout.trim();
  const runningB = (await dockerOk(b.proxyHost, ['ps', '-q', '--filter', `name=^${APP}$`, '--filter', 'status=running']));
  check(!onHostA && runningB.length > 0, `one running copy: host a has no ${APP} container, host b runs ${runningB.slice(0, 12)}`);
  // What the client saw.
  const polls = (await dockerOk(b.proxyHost, ['logs', CLIENT])).split('\n').filter(Boolean);
  const fails = polls.filter((l) => l.includes(' fail'));
  const oks = polls.filter((l) => l.includes(' ok '));
  const gap = longestGap(polls);
  check(oks.length > 0 && polls[polls.length - 1]!.includes(' ok ') && oks.every((l) => l.includes(token)),
    `client on host b: ${polls.length} polls, ${oks.length} answered with the same page, ${fails.length} unanswered ` +
    `(longest wait between two answers ${gap.toFixed(1)} s, polling every 0.5 s; the move took ${((moveEnded.getTime() - moveStarted.getTime()) / 1000).toFixed(1)} s, ${outcome.how === 'api' ? 'moves API' : 'by hand'})`);
  return ok;
}

/** The longest time between two consecutive answered polls (the outage as the client lived it). */
function longestGap(polls: string[]): number {
  const answered = polls.filter((l) => l.includes(' ok ')).map(uptime);
  let gap = 0;
  for (let i = 1; i < answered.length; i++) gap = Math.max(gap, answered[i]! - answered[i - 1]!);
  return gap;
}

const uptime = (line: string) => Number(line.split(' ')[0]);

/** Seconds since boot, as the poller stamps its lines (/proc/uptime is the same in every container). */
function hostUptime(): number {
  return Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
}

async function waitForPoll(host: LabHost, match: (line: string) => boolean, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = (await dockerCli(host.proxyHost, ['logs', CLIENT])).stdout.split('\n').filter(Boolean);
    const hit = [...lines].reverse().find(match);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`the client saw no answer in ${timeoutMs / 1000} s; last: ${lines.slice(-3).join(' | ')}`);
    await sleep(300);
  }
}

/** A one-off client container on `host` fetches a file of the app. */
async function fetchOnce(host: LabHost, net: string, image: string, file: string): Promise<string> {
  let last = '';
  for (let i = 0; i < 5; i++) {
    const r = await dockerCli(host.proxyHost, ['run', '--rm', '--network', net, image, 'timeout', '3', 'wget', '-q', '-O', '-', `http://${APP_IP}/${file}`]);
    if (r.code === 0) return r.stdout;
    last = r.stderr.trim();
    await sleep(300);
  }
  throw new Error(`could not fetch http://${APP_IP}/${file} from host ${host.name}: ${last}`);
}

function relative(lab: Lab, h: LabHost, vol: string): string {
  const p = join(h.datasetsDir, vol);
  return p.startsWith(lab.dir) ? p.slice(lab.dir.length + 1) : p;
}
