import { mkdir, readdir, rm } from 'node:fs/promises';
import type { CoordinationStore } from '../../store/store.js';
import { updateEntry } from '../../store/update-entry.js';
import { silentLogger, type Logger } from '../../logging/logger.js';
import { requireString, optionalMap, type PluginHandlers, type VolumeInfo } from '../../plugin-sdk/index.js';
import { KeyMutex } from '../shared/key-mutex.js';
import { DatasetPaths, checkName } from './dataset-paths.js';
import { activeMounts, datasetKeys, type DatasetKeys, type DatasetRecord, type MountLease } from './dataset-records.js';
import { moveDataset } from './dataset-mover.js';
import { acquireMount, acquireRemoval, dropRemoval, releaseMount } from './mount-lease.js';

export interface DatasetDriverOptions {
  /** This host's identity in the store (one plugin process per lab host). */
  host: string;
  /** Root shared by all hosts; this host's datasets are in `<dataDir>/<host>/`. */
  dataDir: string;
  store: CoordinationStore;
  moveDelayMs?: number;
  /** Store key prefix (default `flocker/`). */
  keyPrefix?: string;
  logger?: Logger;
}

/**
 * A dataset volume driver with Flocker's semantics:
 * - a dataset has exactly one owner host (in the store) and its data lives in the owner's dir;
 * - Mount on a host that is not the owner moves the data here first (may take long; dockerd
 *   allows Mount 2 minutes);
 * - a mount lease in the store fences the dataset: while one host has it mounted (any count of
 *   any IDs), Mount and Remove on every other host are refused;
 * - mounts are counted per (Name, ID) occurrence (P11);
 * - Create and Remove are idempotent (P12); Get of an unknown name is an error (P7);
 * - Capabilities scope `global`: one dataset namespace for the whole cluster (see README of
 *   the plugins: dockerd 20.10 uses the scope only for display and for swarm, every daemon still
 *   calls Get/Create/Mount itself).
 */
export class DatasetVolumeDriver {
  readonly host: string;
  readonly paths: DatasetPaths;
  private readonly store: CoordinationStore;
  private readonly keys: DatasetKeys;
  private readonly logger: Logger;
  private readonly moveDelayMs: number;
  private readonly mutex = new KeyMutex();

  constructor(opts: DatasetDriverOptions) {
    this.host = checkName('host', opts.host);
    this.paths = new DatasetPaths(opts.dataDir);
    this.store = opts.store;
    this.keys = datasetKeys(opts.keyPrefix);
    this.logger = opts.logger ?? silentLogger;
    this.moveDelayMs = opts.moveDelayMs ?? 0;
  }

  /** Creates this host's directory and removes copies a crashed move left behind. */
  async start(): Promise<void> {
    const dir = this.paths.hostDir(this.host);
    await mkdir(dir, { recursive: true });
    for (const entry of await readdir(dir)) {
      if (entry.startsWith('.incoming-')) await rm(`${dir}/${entry}`, { recursive: true, force: true });
    }
  }

  handlers(): PluginHandlers {
    return {
      'VolumeDriver.Create': async (req) => {
        await this.create(requireString(req, 'Name'), optionalMap<string>(req, 'Opts'));
        return {};
      },
      'VolumeDriver.Remove': async (req) => {
        await this.remove(requireString(req, 'Name'));
        return {};
      },
      'VolumeDriver.Mount': async (req) => ({ Mountpoint: await this.mount(requireString(req, 'Name'), requireString(req, 'ID')) }),
      'VolumeDriver.Unmount': async (req) => {
        await this.unmount(requireString(req, 'Name'), requireString(req, 'ID'));
        return {};
      },
      'VolumeDriver.Path': async (req) => ({ Mountpoint: await this.path(requireString(req, 'Name')) }),
      'VolumeDriver.Get': async (req) => ({ Volume: await this.get(requireString(req, 'Name')) }),
      'VolumeDriver.List': async () => ({ Volumes: await this.list() }),
      'VolumeDriver.Capabilities': async () => ({ Capabilities: { Scope: 'global' } }),
    };
  }

  async create(name: string, opts: Record<string, string>): Promise<void> {
    checkName('dataset', name);
    await this.mutex.run(name, async () => {
      if (await this.store.get(this.keys.dataset(name))) return; // idempotent, whoever owns it
      const dir = this.paths.dataset(this.host, name);
      await mkdir(dir, { recursive: true });
      const record: DatasetRecord = { name, owner: this.host, createdAt: new Date().toISOString(), opts };
      const written = await this.store.compareAndSet(this.keys.dataset(name), record, 0);
      if (!written) {
        // Another host created it at the same moment: theirs wins, ours goes.
        const winner = await this.store.get<DatasetRecord>(this.keys.dataset(name));
        if (winner?.value.owner !== this.host) await rm(dir, { recursive: true, force: true });
        return;
      }
      this.logger.info({ dataset: name, owner: this.host }, 'dataset created');
    });
  }

  async remove(name: string): Promise<void> {
    checkName('dataset', name);
    await this.mutex.run(name, async () => {
      const entry = await this.store.get<DatasetRecord>(this.keys.dataset(name));
      if (!entry) return; // idempotent
      await acquireRemoval(this.store, this.keys, name, this.host);
      try {
        const current = await this.store.get<DatasetRecord>(this.keys.dataset(name));
        if (!current) return;
        await rm(this.paths.dataset(current.value.owner, name), { recursive: true, force: true });
        await rm(this.paths.incoming(this.host, name), { recursive: true, force: true });
        await updateEntry<DatasetRecord>(this.store, this.keys.dataset(name), () => null);
        this.logger.info({ dataset: name, owner: current.value.owner }, 'dataset removed');
      } finally {
        await dropRemoval(this.store, this.keys, name, this.host);
      }
    });
  }

  async mount(name: string, id: string): Promise<string> {
    checkName('dataset', name);
    return this.mutex.run(name, async () => {
      if (!(await this.store.get(this.keys.dataset(name)))) throw new Error(`no such dataset: ${name}`);
      await acquireMount(this.store, this.keys, name, id, this.host);
      try {
        // Read the owner again under the lease: a move by another host may have ended just now.
        const entry = await this.store.get<DatasetRecord>(this.keys.dataset(name));
        if (!entry) throw new Error(`no such dataset: ${name}`);
        if (entry.value.owner !== this.host) await moveDataset(this.moveContext(), entry.value, this.host);
        const dir = this.paths.dataset(this.host, name);
        await mkdir(dir, { recursive: true });
        return dir;
      } catch (err) {
        // dockerd sends no Unmount for a failed Mount: give the count back ourselves.
        await releaseMount(this.store, this.keys, name, id, this.host);
        throw err;
      }
    });
  }

  async unmount(name: string, id: string): Promise<void> {
    checkName('dataset', name);
    await this.mutex.run(name, () => releaseMount(this.store, this.keys, name, id, this.host));
  }

  /** The mountpoint while this host has the dataset mounted, "" before Mount and after the last Unmount. */
  async path(name: string): Promise<string> {
    checkName('dataset', name);
    const entry = await this.store.get<DatasetRecord>(this.keys.dataset(name));
    if (!entry) throw new Error(`no such dataset: ${name}`);
    return (await this.mountedHere(name)) ? this.paths.dataset(this.host, name) : '';
  }

  async get(name: string): Promise<VolumeInfo> {
    const entry = await this.store.get<DatasetRecord>(this.keys.dataset(name));
    if (!entry) throw new Error(`no such dataset: ${name}`);
    const lease = (await this.store.get<MountLease>(this.keys.lease(name)))?.value ?? null;
    return this.describe(entry.value, lease);
  }

  async list(): Promise<VolumeInfo[]> {
    const datasets = await this.store.list<DatasetRecord>(this.keys.datasetsPrefix);
    const out: VolumeInfo[] = [];
    for (const d of datasets) {
      const lease = (await this.store.get<MountLease>(this.keys.lease(d.value.name)))?.value ?? null;
      out.push(this.describe(d.value, lease));
    }
    return out;
  }

  private describe(d: DatasetRecord, lease: MountLease | null): VolumeInfo {
    const here = lease?.host === this.host && activeMounts(lease) > 0;
    const info: VolumeInfo = {
      Name: d.name,
      CreatedAt: d.createdAt,
      Status: { owner: d.owner, mountedOn: lease && activeMounts(lease) > 0 ? lease.host : null, activeMounts: activeMounts(lease) },
    };
    if (here) info.Mountpoint = this.paths.dataset(this.host, d.name);
    return info;
  }

  private async mountedHere(name: string): Promise<boolean> {
    const lease = (await this.store.get<MountLease>(this.keys.lease(name)))?.value ?? null;
    return lease?.host === this.host && activeMounts(lease) > 0;
  }

  private moveContext() {
    return { store: this.store, keys: this.keys, paths: this.paths, logger: this.logger, moveDelayMs: this.moveDelayMs };
  }
}
