import type { PluginUpstream } from '../config/config.js';
import { pluginCall } from '../plugin-sdk/index.js';

/**
 * Datasets are moved and fenced through the volume plugin's own protocol, never by writing its
 * records: a move "holds" a dataset on a host with `VolumeDriver.Mount {Name, ID: hold id}` and
 * lets go with `VolumeDriver.Unmount` of the same ID. With a Flocker-style driver a Mount on a
 * host that does not own the dataset moves the data there, and the driver's mount lease keeps
 * every other host from mounting it while the hold lasts. Any driver that implements those
 * semantics can be moved; plugchain needs no knowledge of its store.
 */
export interface DatasetRef {
  driver: string;
  name: string;
}

export function holdIdOf(moveId: string): string {
  return `plugchain-move-${moveId}`;
}

export class DatasetHolds {
  constructor(private readonly plugins: readonly PluginUpstream[], private readonly timeoutMs = 130_000) {}

  /** The plugin dockerd knows as `driver` (its alias, else its name), or null. */
  find(driver: string): PluginUpstream | null {
    return this.plugins.find((p) => (p.alias ?? p.name) === driver) ?? null;
  }

  async hold(ds: DatasetRef, holdId: string): Promise<string> {
    const body = await this.call(ds.driver, 'VolumeDriver.Mount', { Name: ds.name, ID: holdId });
    return String((body as { Mountpoint?: unknown }).Mountpoint ?? '');
  }

  async release(ds: DatasetRef, holdId: string): Promise<void> {
    await this.call(ds.driver, 'VolumeDriver.Unmount', { Name: ds.name, ID: holdId });
  }

  /** `VolumeDriver.Get`'s Status, which a Flocker-style driver fills with owner and mountedOn. */
  async status(ds: DatasetRef): Promise<Record<string, unknown>> {
    const body = await this.call(ds.driver, 'VolumeDriver.Get', { Name: ds.name });
    const status = (body as { Volume?: { Status?: unknown } }).Volume?.Status;
    return status && typeof status === 'object' ? (status as Record<string, unknown>) : {};
  }

  private async call(driver: string, method: string, body: unknown): Promise<unknown> {
    const plugin = this.find(driver);
    if (!plugin) throw new Error(`volume driver ${driver} is not a plugin this plugchain fronts`);
    const r = await pluginCall(plugin.address, method, body, { timeoutMs: this.timeoutMs }).catch((err: Error) => {
      throw new Error(`${driver}: ${method} could not reach the plugin at ${plugin.address}: ${err.message}`);
    });
    const err = (r.body as { Err?: unknown } | undefined)?.Err;
    if (r.status !== 200 || (typeof err === 'string' && err !== '')) {
      throw new Error(`${driver}: ${method} ${JSON.stringify((body as { Name: string }).Name)}: ${typeof err === 'string' && err ? err : r.raw || `HTTP ${r.status}`}`);
    }
    return r.body ?? {};
  }
}
