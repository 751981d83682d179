import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { startLab, type Lab } from '../../src/lab/start-lab.js';
import { labLayout } from '../../src/lab/lab-layout.js';
import { spawnPlugchain, waitReady } from '../../src/lab/detached-process.js';
import { isAlive, stopPid } from '../../src/lab/process-tools.js';
import { ping, startPrivateDockerd, type PrivateDockerd } from '../../src/lab/private-dockerd.js';
import { openStore } from '../../src/store/open-store.js';
import type { CoordinationStore } from '../../src/store/store.js';
import { EngineClient } from '../../src/moves/engine-client.js';
import type { MoveReport, MoveState } from '../../src/moves/move-types.js';
import { docker, dockerOk } from '../harness/docker-cli.js';

/**
 * Two lab hosts (startLab: private dockerds in their own mount namespaces, the reference plugins,
 * a plugchain per host, one shared bridge and store) plus what the move tests need on top: an
 * app container with a dataset and a fixed address, restarts of host a's plugchain with the
 * test-only failure injection in its environment, and the invariants every case must hold.
 */
export const APP = 'app';
export const DATASET = 'appdata';
export const APP_IP = '10.213.10.50';

export type HostName = 'a' | 'b';

export class MoveLab {
  private plugchainPid: Record<HostName, number>;
  private plugchainEnv = '';
  private restartedDockerd: PrivateDockerd | null = null;
  readonly store: CoordinationStore;
  payload = 0;

  private constructor(readonly lab: Lab) {
    this.plugchainPid = { a: lab.host('a').pids.plugchain, b: lab.host('b').pids.plugchain };
    this.store = openStore(lab.storeUrl);
  }

  static async up(dir: string, store: 'file' | 'etcd' = 'file'): Promise<MoveLab> {
    const lab = await startLab({ dir, hosts: 2, store, logLevel: 'debug', configExtra: (host, l) => ({ self: host, store: l.storeUrl }) });
    return new MoveLab(lab);
  }

  async down(): Promise<void> {
    for (const h of ['a', 'b'] as const) {
      await docker(['rm', '-f', APP, 'plain', 'squat'], { host: this.docker(h) }).catch(() => undefined);
    }
    for (const h of ['a', 'b'] as const) await stopPid(this.plugchainPid[h], { graceMs: 5_000 });
    await this.restartedDockerd?.stop();
    await this.store.close();
    const report = await this.lab.down();
    expect(report).toBeDefined();
  }

  /** The host's plugchain (what users and the move API talk to). */
  proxy(h: HostName): string {
    return this.lab.host(h).proxyHost;
  }

  /** The host's dockerd, directly (for checks that must not depend on plugchain). */
  docker(h: HostName): string {
    return this.lab.host(h).dockerHost;
  }

  api(h: HostName = 'a'): EngineClient {
    return new EngineClient(this.proxy(h));
  }

  /**
   * Restarts host h's plugchain with `env` added (PLUGCHAIN_MOVE_FAIL_AT / _CRASH_AFTER), unless it
   * already runs with exactly that. Unfinished moves resume as it starts.
   */
  async plugchain(env: Record<string, string> = {}, h: HostName = 'a', force = false): Promise<void> {
    const key = JSON.stringify(env);
    if (h === 'a' && !force && key === this.plugchainEnv && isAlive(this.plugchainPid.a)) return;
    await stopPid(this.plugchainPid[h], { graceMs: 5_000 });
    const layout = labLayout(this.lab.dir).host(h);
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PLUGCHAIN_MOVE_')));
    const log = join(layout.logsDir, 'plugchain.log');
    // dist/ is shared with other builds of this checkout: a start that meets a half-written build is retried.
    for (let attempt = 1; ; attempt++) {
      const pid = spawnPlugchain(['serve', '--config', layout.plugchainConfig], log, { ...clean, ...env });
      this.plugchainPid[h] = pid;
      try {
        await waitReady(`plugchain of host ${h}`, pid, log, () => ping(layout.proxySocket, 1_000));
        break;
      } catch (err) {
        if (attempt >= 3 || !/SyntaxError|ERR_MODULE_NOT_FOUND/.test((err as Error).message)) throw err;
        await new Promise((r) => setTimeout(r, 3_000));
      }
    }
    if (h === 'a') this.plugchainEnv = key;
  }

  /** Stops host h's plugchain (it stays down until plugchain({}, h, true)). */
  async plugchainDown(h: HostName): Promise<void> {
    await stopPid(this.plugchainPid[h], { graceMs: 5_000 });
  }

  /** Waits until host a's plugchain has killed itself (PLUGCHAIN_MOVE_CRASH_AFTER). */
  async waitCrashed(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (isAlive(this.plugchainPid.a)) {
      if (Date.now() > deadline) throw new Error('plugchain a did not crash');
      await new Promise((r) => setTimeout(r, 50));
    }
    this.plugchainEnv = 'crashed';
  }

  /** Stops host b's dockerd (SIGTERM, like an operator or a failing host). */
  async stopTargetDaemon(): Promise<void> {
    const pid = this.restartedDockerd?.pid ?? this.lab.host('b').pids.dockerd;
    await stopPid(pid, { graceMs: 20_000 });
  }

  async startTargetDaemon(): Promise<void> {
    const layout = labLayout(this.lab.dir).host('b');
    this.restartedDockerd = await startPrivateDockerd({ stateDir: layout.dockerStateDir, pluginsDir: layout.pluginsDir });
  }

  dockerdPid(h: HostName): number {
    return h === 'b' && this.restartedDockerd ? this.restartedDockerd.pid : this.lab.host(h).pids.dockerd;
  }

  /** The app on host a, running, with its dataset and address; whatever a previous case left goes. */
  async resetApp(opts: { stopDelaySec?: number } = {}): Promise<void> {
    for (const h of ['a', 'b'] as const) await docker(['rm', '-f', APP], { host: this.docker(h) });
    this.payload++;
    await dockerOk(['run', '-d', '--name', APP, '--network', 'weave-lab', '--ip', APP_IP, '-v', `${DATASET}:/data`,
      '--volume-driver', 'flocker', '-e', `STOP_DELAY=${opts.stopDelaySec ?? 0}`, '--label', 'app.role=web', this.lab.image, 'sh', '-c',
      `trap 'sleep $STOP_DELAY; exit 0' TERM; echo payload-${this.payload} > /data/index.html; httpd -f -p 80 -h /data & wait`],
    { host: this.proxy('a') });
    await this.waitServing('a');
  }

  /** What a client container on host `from` gets from the app's address. */
  async fetch(from: HostName): Promise<string> {
    const r = await docker(['run', '--rm', '--network', 'weave-lab', this.lab.image, 'sh', '-c',
      `for i in $(seq 1 30); do timeout 3 wget -q -O- http://${APP_IP}/index.html && exit 0; sleep 0.2; done; exit 1`], { host: this.proxy(from) });
    return r.code === 0 ? r.stdout.trim() : `(no answer: ${r.stderr.trim()})`;
  }

  async waitServing(h: HostName): Promise<void> {
    expect(await this.fetch(h)).toBe(`payload-${this.payload}`);
  }

  async startMove(body: Record<string, unknown>): Promise<{ status: number; id?: string; message?: string }> {
    const r = await this.api('a').request<{ id?: string; message?: string }>('POST', '/plugchain/v1/moves', body);
    return { status: r.status, id: r.body?.id, message: r.body?.message };
  }

  async report(id: string, h: HostName = 'a'): Promise<MoveReport> {
    const r = await this.api(h).ok<MoveReport>('GET', `/plugchain/v1/moves/${id}`);
    return r.body;
  }

  /** Polls the move until it is in one of `states` (from host a's plugchain, which may restart). */
  async waitState(id: string, states: MoveState[], timeoutMs = 90_000): Promise<MoveReport> {
    const deadline = Date.now() + timeoutMs;
    let last: MoveReport | null = null;
    for (;;) {
      last = await this.report(id).catch(() => last);
      if (last && states.includes(last.state)) return last;
      if (Date.now() > deadline) throw new Error(`move ${id} did not reach ${states.join('|')}: ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * The invariants of every case: the container runs on `runsOn` and on no other host; its data
   * is on exactly that host; no leases, holds, claims or locks are left; one endpoint, one veth;
   * no mount of the dataset on the other host; and a client reaches the same address and data.
   */
  async checkInvariants(runsOn: HostName | null, opts: { serving?: boolean } = {}): Promise<void> {
    const other: HostName = runsOn === 'b' ? 'a' : 'b';
    const state = async (h: HostName) => {
      const r = await docker(['inspect', '--format', '{{.State.Running}}', APP], { host: this.docker(h) });
      return r.code === 0 ? r.stdout.trim() : 'absent';
    };
    if (runsOn) {
      expect(await state(runsOn), `app on ${runsOn}`).toBe('true');
      expect(await state(other), `app on ${other}`).toBe('absent');
    } else {
      expect([await state('a'), await state('b')].filter((s) => s === 'true')).toEqual([]);
    }

    const datasets = this.lab.host('a').datasetsDir.replace(/\/a$/, '');
    const copies = ['a', 'b'].filter((h) => existsSync(join(datasets, h, DATASET)));
    const incoming = ['a', 'b'].flatMap((h) => (existsSync(join(datasets, h)) ? readdirSync(join(datasets, h)) : []).filter((f) => f.startsWith('.incoming-')));
    expect(incoming).toEqual([]);
    expect(copies.length, `copies of the data: ${copies.join(', ')}`).toBe(1);
    const owner = (await this.store.get<{ owner: string }>(`flocker/datasets/${DATASET}`))?.value.owner;
    expect(copies).toEqual([owner]);
    if (runsOn) {
      expect(owner).toBe(runsOn);
      expect(readFileSync(join(datasets, runsOn, DATASET, 'index.html'), 'utf8').trim()).toBe(`payload-${this.payload}`);
    }

    const lease = (await this.store.get<{ host: string; mounts: Record<string, number> }>(`flocker/leases/${DATASET}`))?.value ?? null;
    if (runsOn) {
      expect(lease?.host).toBe(runsOn);
      expect(Object.values(lease?.mounts ?? {}).reduce((x, y) => x + y, 0)).toBe(1);
    }
    expect(Object.keys(lease?.mounts ?? {}).filter((id) => id.startsWith('plugchain-move-'))).toEqual([]);
    for (const prefix of ['moves/leases/', 'moves/addresses/', 'moves/locks/']) {
      expect((await this.store.list(prefix)).map((e) => e.key), prefix).toEqual([]);
    }

    const endpoints = await this.store.list(`weave/${this.lab.bridge}/endpoints/`);
    expect(endpoints.length, 'network endpoints in the store').toBe(runsOn ? 1 : 0);
    const hostEnds = execFileSync('ip', ['-n', this.lab.netns, '-o', 'link', 'show'], { encoding: 'utf8' }).match(/pch[0-9a-f]{12}/g) ?? [];
    expect(hostEnds.length, 'veths on the bridge').toBe(runsOn ? 1 : 0);
    // A container's end goes back to the root namespace for a moment while dockerd tears an endpoint down.
    const rootEnds = async () => {
      for (let i = 0; ; i++) {
        // Only this lab's ends (peer in the lab's namespace): other test files run labs of their own.
        const found = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).split('\n')
          .filter((l) => l.includes(`link-netns ${this.lab.netns}`)).map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? l);
        if (found.length === 0 || i >= 50) return found;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    expect(await rootEnds(), 'veths left in the root namespace').toEqual([]);

    const mounts = readFileSync(`/proc/${this.dockerdPid(other)}/mounts`, 'utf8').split('\n').filter((l) => l.includes(`/${DATASET}`));
    expect(mounts, `mounts of the dataset on host ${other}`).toEqual([]);

    if (runsOn && opts.serving !== false) expect(await this.fetch(other)).toBe(`payload-${this.payload}`);
  }
}
