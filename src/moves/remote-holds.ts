import type { EngineClient } from './engine-client.js';
import { messageOf } from './engine-client.js';
import type { DatasetRef } from './dataset-holds.js';

/**
 * Dataset holds on another host, through that host's plugchain control API
 * (`POST /plugchain/v1/datasets/hold|release`), which calls its own volume plugin. The target's
 * plugin is only ever reached by the target's plugchain.
 */
export class RemoteHolds {
  constructor(private readonly target: EngineClient, private readonly timeoutMs = 150_000) {}

  async hold(ds: DatasetRef, holdId: string): Promise<void> {
    await this.call('hold', ds, holdId);
  }

  async release(ds: DatasetRef, holdId: string): Promise<void> {
    await this.call('release', ds, holdId);
  }

  private async call(what: 'hold' | 'release', ds: DatasetRef, holdId: string): Promise<void> {
    const r = await this.target.request('POST', `/plugchain/v1/datasets/${what}`, { driver: ds.driver, name: ds.name, holdId }, this.timeoutMs);
    if (r.status !== 200) throw new Error(`dataset ${ds.name}: ${what} on ${this.target.address.url} failed: ${messageOf(r)}`);
  }
}
