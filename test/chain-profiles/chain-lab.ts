import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { inject } from 'vitest';
import { ownDaemon } from '../harness/own-daemon.js';
import { docker, dockerOk, uniqueName } from '../harness/docker-cli.js';
import { startPluginProcess, type PluginProcess } from '../plugins/plugin-process.js';
import { defaultConfig, type PlugchainConfig } from '../../src/config/config.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { cleanupWeaveNetwork } from '../../src/plugins/weave-network/cleanup.js';
import { pluginCall } from '../../src/plugin-sdk/index.js';
import type { Exchange } from '../../src/shim/exchange.js';

/** A recorded plugin call with its start and end on one clock (ms since epoch). */
export interface TimedExchange extends Exchange {
  start: number;
  end: number;
}

export interface ChainLabOptions {
  /** Move delay of the chained volume driver on host a. */
  moveDelayMs: number;
  prepareTimeoutMs: number;
  /** Distinguishes the subnets of the test files that use a lab. */
  subnetSlot: number;
}

/**
 * Real plugin processes behind plugchain shims, in front of the test daemon:
 * - `vdriver`: dataset volume driver, host a (the daemon's host), chained;
 * - `ndriver`: network + IPAM driver, chained;
 * - host b's volume driver on a socket the daemon does not know: it owns datasets before a test
 *   moves them, and can hold them (lease) to make a Mount on host a fail.
 * Every shim records its traffic (NDJSON per driver); `since(mark)` merges them on one clock.
 */
export class ChainLab {
  readonly tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  readonly vdriver = `pcpv${this.tag}`;
  readonly ndriver = `pcpn${this.tag}`;
  readonly bridge = `pcp${this.tag}`.slice(0, 15);
  readonly netns = `pcp-${this.tag}`;
  readonly net = uniqueName('pcpnet');
  readonly subnet: string;
  readonly work: string;
  readonly logs: Array<Record<string, unknown>> = [];
  proxy!: RunningServer & { host: string };
  private readonly procs: PluginProcess[] = [];
  private readonly recordFiles: string[] = [];
  private readonly containers: string[] = [];
  private readonly datasets: string[] = [];

  /** This lab's own dockerd (see own-daemon.ts): its plugins come and go with the file. */
  private readonly own = ownDaemon();

  constructor(private readonly opts: ChainLabOptions) {
    this.work = mkdtempSync(join(inject('runDir'), 'cp-'));
    this.subnet = `10.216.${(process.pid * 3 + opts.subnetSlot * 7) % 250}`;
  }

  get store(): string {
    return join(this.work, 'store.json');
  }

  get daemon(): string {
    return this.own.dockerHost;
  }

  async start(): Promise<void> {
    const data = join(this.work, 'data');
    const volumeArgs = (host: string, delay: number) => ['volume', '--host', host, '--data-dir', data, '--store', this.store, '--move-delay-ms', String(delay)];
    this.procs.push(await startPluginProcess(volumeArgs('a', this.opts.moveDelayMs), join(this.work, 'va.sock'), join(this.work, 'va.log')));
    this.procs.push(await startPluginProcess(volumeArgs('b', 0), join(this.work, 'vb.sock'), join(this.work, 'vb.log')));
    this.procs.push(await startPluginProcess(['network', '--bridge', this.bridge, '--netns', this.netns, '--store', this.store, '--host', 'a'],
      join(this.work, 'n.sock'), join(this.work, 'n.log')));

    const plugin = (name: string, sock: string, alias: string) => {
      const record = join(this.work, `${alias}.ndjson`);
      this.recordFiles.push(record);
      return { name, address: `unix://${join(this.work, sock)}`, alias, record };
    };
    const plugins = [plugin('dataset', 'va.sock', this.vdriver), plugin('weave', 'n.sock', this.ndriver)];
    const volumeDrivers = [this.vdriver];
    const config: PlugchainConfig = {
      ...defaultConfig(),
      listen: [`unix://${join(this.work, 'p.sock')}`],
      upstream: this.daemon,
      stateDir: this.work,
      pluginDir: this.own.pluginsDir,
      plugins,
      chain: { volumeDrivers, networkDrivers: [this.ndriver], prepareTimeoutMs: this.opts.prepareTimeoutMs },
      validation: { engine: 'enforce', plugins: 'enforce' },
    };
    const logs = this.logs;
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line));
        done();
      },
    });
    const server = await startServer(config, { logger: pino({ level: 'info' }, sink) });
    this.proxy = Object.assign(server, { host: server.listeners[0]!.dockerHost });
    await dockerOk(['network', 'create', '-d', this.ndriver, '--ipam-driver', this.ndriver,
      '--subnet', `${this.subnet}.0/24`, '--gateway', `${this.subnet}.1`, this.net], { host: this.daemon });
  }

  /** A dataset owned by host b, holding one file. */
  async datasetOnB(content: string): Promise<string> {
    const name = uniqueName('pcpds');
    this.datasets.push(name);
    const r = await pluginCall(join(this.work, 'vb.sock'), 'VolumeDriver.Create', { Name: name, Opts: {} });
    if (r.status !== 200) throw new Error(`Create on b: ${r.raw}`);
    const dir = join(this.work, 'data', 'b', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'f'), content);
    return name;
  }

  /** Mounts a dataset on host b (a move there if needed): while held, host a cannot mount it. */
  async mountOnB(name: string, id: string): Promise<void> {
    const r = await pluginCall(join(this.work, 'vb.sock'), 'VolumeDriver.Mount', { Name: name, ID: id });
    if (r.status !== 200) throw new Error(`Mount on b: ${r.raw}`);
  }

  async unmountOnB(name: string, id: string): Promise<void> {
    const r = await pluginCall(join(this.work, 'vb.sock'), 'VolumeDriver.Unmount', { Name: name, ID: id });
    if (r.status !== 200) throw new Error(`Unmount on b: ${r.raw}`);
  }

  container(): string {
    const name = uniqueName('pcpc');
    this.containers.push(name);
    return name;
  }

  entries(): Record<string, { value: unknown }> {
    return existsSync(this.store) ? JSON.parse(readFileSync(this.store, 'utf8')).entries : {};
  }

  dataset(name: string): { owner: string; movedAt?: string } {
    return this.entries()[`flocker/datasets/${name}`]!.value as { owner: string; movedAt?: string };
  }

  lease(name: string): { host: string; mounts: Record<string, number> } | undefined {
    return this.entries()[`flocker/leases/${name}`]?.value as { host: string; mounts: Record<string, number> } | undefined;
  }

  endpoints(): string[] {
    return Object.keys(this.entries()).filter((k) => k.startsWith(`weave/${this.bridge}/endpoints/`));
  }

  /** Host-side veth ends on this lab's bridge (in its own namespace): one per live endpoint. */
  veths(): string[] {
    const out = execFileSync('ip', ['-n', this.netns, '-o', 'link', 'show'], { encoding: 'utf8' });
    return out.split('\n').map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1]).filter((n): n is string => Boolean(n && n.startsWith('pch')));
  }

  /** Number of recorded exchanges so far, to read only what a test caused. */
  mark(): number {
    return this.all().length;
  }

  /** Exchanges recorded after `mark`, ordered by start time. */
  async since(mark: number): Promise<TimedExchange[]> {
    await new Promise((r) => setTimeout(r, 200)); // the record streams flush asynchronously
    return this.all().slice(mark);
  }

  private all(): TimedExchange[] {
    const out: TimedExchange[] = [];
    for (const f of this.recordFiles) {
      if (!existsSync(f)) continue;
      for (const line of readFileSync(f, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        const e = JSON.parse(line) as Exchange;
        const end = Date.parse(e.ts);
        out.push({ ...e, end, start: end - e.durationMs });
      }
    }
    // Stable: by end time (when the record was written), so marks stay valid as files grow.
    return out.sort((a, b) => a.end - b.end);
  }

  async close(): Promise<void> {
    for (const c of this.containers) await docker(['rm', '-f', c], { host: this.daemon });
    await docker(['network', 'rm', this.net], { host: this.daemon });
    for (const d of this.datasets) await docker(['volume', 'rm', '-f', d], { host: this.daemon });
    await this.proxy?.close();
    for (const p of this.procs) await p.stop();
    await cleanupWeaveNetwork({ bridge: this.bridge, netns: this.netns, store: this.store });
  }
}

export const calls = (xs: TimedExchange[], method: string, filter: (e: TimedExchange) => boolean = () => true) =>
  xs.filter((e) => e.method === method && filter(e));

export const isPrepareId = (e: TimedExchange) => String((e.request as { ID?: string }).ID ?? '').startsWith('plugchain-prepare-');
export const volumeOf = (e: TimedExchange) => (e.request as { Name?: string }).Name;
