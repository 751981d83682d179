import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupWeaveNetwork } from '../plugins/weave-network/cleanup.js';
import { openStore } from '../store/open-store.js';
import { removeStateDir, ping } from './private-dockerd.js';
import { labLayout } from './lab-layout.js';
import { readLabState, type LabHostState, type LabProcess, type LabState } from './lab-state.js';
import { dockerCli } from './lab-docker.js';
import { findLeftovers, isClean, type Leftovers } from './lab-leftovers.js';
import { isAlive, pidMatches, pidsMatching, stopPid } from './process-tools.js';
import { healthy } from './local-etcd.js';

export interface DownOptions {
  /** Keep the lab directory (logs) instead of deleting it. */
  keepDir?: boolean;
  onStep?: (message: string) => void;
}

export interface DownReport {
  /** Nothing was there to take down. */
  absent: boolean;
  containersRemoved: number;
  networksRemoved: number;
  stopped: number[];
  killedStragglers: number[];
  veths: string[];
  leftovers: Leftovers;
  clean: boolean;
}

/**
 * Takes a lab apart from its lab.json, from any process, in an order that lets every part clean
 * up after itself first: containers and networks while plugchain and the plugins still answer
 * (so dockerd's Leave/DeleteEndpoint/DeleteNetwork reach the plugins, which remove veths and the
 * bridge), then the plugchains, the daemons (and whatever containerd and shims they left), the
 * plugins, then the segment's recorded veths/bridge/namespace, the store, mounts and files.
 * Every process is signalled by its recorded pid, and only while its command line still names
 * what the lab started. Safe to run twice.
 */
export async function downLab(dir: string, opts: DownOptions = {}): Promise<DownReport> {
  const layout = labLayout(dir);
  const step = opts.onStep ?? (() => undefined);
  const state = readLabState(layout.statePath);
  const report: DownReport = {
    absent: !state, containersRemoved: 0, networksRemoved: 0, stopped: [], killedStragglers: [], veths: [],
    leftovers: { pids: [], mounts: [], netns: false, links: [], dir: false }, clean: false,
  };
  if (state) {
    await removeWorkloads(state, report, step);
    const containerIds = state.hosts.flatMap((h) => containerIdsOf(h));

    step('stopping plugchains');
    await Promise.all(state.hosts.map((h) => stopRecorded(h.plugchain, report, 5_000)));
    step('stopping dockerds');
    await Promise.all(state.hosts.map((h) => stopRecorded(h.dockerd, report, 20_000, true)));
    // containerd and shims a killed daemon may have left: their command lines name its exec root.
    for (const h of state.hosts) {
      for (const pid of pidsMatching(h.dockerStateDir)) {
        await stopPid(pid, { graceMs: 2_000 });
        report.killedStragglers.push(pid);
      }
    }
    for (const pid of containerProcesses(containerIds)) {
      await stopPid(pid, { graceMs: 0 });
      report.killedStragglers.push(pid);
    }

    step('removing the segment: veths, bridge, network namespace');
    await cleanupSegment(state, report);
    step('stopping plugins');
    await Promise.all(state.hosts.flatMap((h) => [stopRecorded(h.volumePlugin, report, 5_000), stopRecorded(h.networkPlugin, report, 5_000)]));
    if (state.etcd) {
      step('stopping etcd');
      await stopRecorded(state.etcd, report, 5_000);
    }
    // Anything else still naming the lab directory was started by the lab (e.g. a plugin whose
    // pid was not recorded yet when `up` failed).
    for (const pid of pidsMatching(layout.dir)) {
      await stopPid(pid, { graceMs: 2_000 });
      report.killedStragglers.push(pid);
    }
  }
  if (existsSync(layout.dir)) {
    if (opts.keepDir) unmountUnder(layout.dir);
    else removeStateDir(layout.dir);
  }
  report.leftovers = findLeftovers(layout.dir, {
    bridge: state?.bridge ?? layout.defaultBridge, netns: state?.netns ?? layout.defaultNetns, veths: report.veths,
  });
  report.clean = isClean(report.leftovers, { allowDir: opts.keepDir });
  step(report.clean ? 'lab down: nothing left behind' : `lab down, but left behind: ${JSON.stringify(report.leftovers)}`);
  return report;
}

/** `docker rm -f` every container and `docker network rm` the plugin's networks, on every live host. */
async function removeWorkloads(state: LabState, report: DownReport, step: (m: string) => void): Promise<void> {
  const live = [];
  for (const h of state.hosts) if (h.dockerd && pidMatches(h.dockerd.pid, h.dockerd.match) && (await ping(h.dockerStateDir + '/docker.sock', 2_000))) live.push(h);
  if (live.length === 0) return;
  step('removing containers and networks');
  await Promise.all(live.map(async (h) => {
    // Through the daemon directly: it still reaches the plugins through the shims while plugchain runs.
    const ids = (await dockerCli(h.dockerHost, ['ps', '-aq'], { timeoutMs: 30_000 })).stdout.split('\n').filter(Boolean);
    if (ids.length > 0) {
      const r = await dockerCli(h.dockerHost, ['rm', '-f', ...ids], { timeoutMs: 60_000 });
      if (r.code === 0) report.containersRemoved += ids.length;
    }
  }));
  // Networks one host after the other: the last one to go takes the bridge with it.
  for (const h of live) {
    const nets = (await dockerCli(h.dockerHost, ['network', 'ls', '-q', '--filter', `driver=${h.networkDriver}`], { timeoutMs: 30_000 }))
      .stdout.split('\n').filter(Boolean);
    for (const id of nets) {
      const r = await dockerCli(h.dockerHost, ['network', 'rm', id], { timeoutMs: 30_000 });
      if (r.code === 0) report.networksRemoved++;
    }
  }
}

async function stopRecorded(p: LabProcess | undefined, report: DownReport, graceMs: number, group = false): Promise<void> {
  if (!p || !pidMatches(p.pid, p.match)) return;
  await stopPid(p.pid, { graceMs, group });
  if (!isAlive(p.pid)) report.stopped.push(p.pid);
}

/** The ids of the containers a host's daemon knew (its data root), to find their processes. */
function containerIdsOf(h: LabHostState): string[] {
  const dir = join(h.dockerStateDir, 'data', 'containers');
  try {
    return readdirSync(dir).filter((n) => /^[0-9a-f]{64}$/.test(n));
  } catch {
    return [];
  }
}

/** Processes still in a cgroup named after one of those containers (after a daemon was killed). */
function containerProcesses(ids: string[]): number[] {
  if (ids.length === 0) return [];
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cg = readFileSync(`/proc/${name}/cgroup`, 'utf8');
      if (ids.some((id) => cg.includes(id))) out.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return out;
}

/**
 * The network plugin's own cleanup (recorded veths, bridge, namespace when empty, records),
 * through the lab's store. The namespace carries the lab's own name, so if something unrecorded
 * is still in it, it is the lab's and goes with it.
 */
async function cleanupSegment(state: LabState, report: DownReport): Promise<void> {
  const storeUp = state.storeUrl && (!state.etcd || (await healthy(state.etcd.clientUrl)));
  if (storeUp) {
    const store = openStore(state.storeUrl);
    try {
      const r = await cleanupWeaveNetwork({ store, bridge: state.bridge, netns: state.netns });
      report.veths.push(...r.veths);
    } catch {
      /* fall through to the forced removal below */
    } finally {
      await store.close();
    }
  }
  if (existsSync(`/run/netns/${state.netns}`)) {
    try {
      execFileSync('ip', ['netns', 'del', state.netns], { stdio: 'ignore' });
    } catch {
      /* reported as a leftover */
    }
  }
}

function unmountUnder(dir: string): void {
  try {
    const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '')
      .filter((m) => m.startsWith(`${dir}/`)).sort((a, b) => b.length - a.length);
    for (const m of mounts) {
      try {
        execFileSync('umount', ['-l', m.replace(/\\040/g, ' ')], { stdio: 'ignore' });
      } catch {
        /* reported as a leftover */
      }
    }
  } catch {
    /* no /proc */
  }
}
