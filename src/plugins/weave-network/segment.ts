import { existsSync } from 'node:fs';
import { ip, ipCreate, ipDelete } from './ip-command.js';

/**
 * The L2 segment: one Linux bridge in its own network namespace (DESIGN.md §8: in the root
 * namespace, FORWARD DROP + br_netfilter would drop bridged frames; a fresh namespace has no
 * rules). Containers attach with veth pairs whose bridge end lives in that namespace.
 */
export class Segment {
  constructor(readonly netns: string, readonly bridge: string) {
    for (const n of [netns, bridge]) if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(n)) throw new Error(`invalid interface/namespace name ${n}`);
    if (bridge.length > 15) throw new Error(`bridge name ${bridge} is longer than 15 characters`);
  }

  netnsExists(): boolean {
    return existsSync(`/run/netns/${this.netns}`);
  }

  async ensure(): Promise<void> {
    if (!this.netnsExists()) await ipCreate(['netns', 'add', this.netns]);
    await ip(['-n', this.netns, 'link', 'set', 'lo', 'up']);
    await ipCreate(['-n', this.netns, 'link', 'add', this.bridge, 'type', 'bridge']);
    await ip(['-n', this.netns, 'link', 'set', this.bridge, 'up']);
  }

  async removeBridge(): Promise<void> {
    if (!this.netnsExists()) return;
    await ipDelete(['-n', this.netns, 'link', 'del', this.bridge]);
  }

  /** Deletes the namespace only when nothing but `lo` is left in it (other bridges may share it). */
  async removeNetnsIfEmpty(): Promise<boolean> {
    if (!this.netnsExists()) return true;
    const links = (await ip(['-n', this.netns, '-o', 'link', 'show'])).split('\n').filter((l) => l.trim() && !/^\d+: lo[:@]/.test(l));
    if (links.length > 0) return false;
    await ipDelete(['netns', 'del', this.netns]);
    return true;
  }

  /**
   * Creates a veth pair: `srcName` (with `mac`) stays in the root namespace for dockerd to move
   * into the container; `hostEnd` goes straight into the segment namespace, on the bridge.
   */
  async addVeth(srcName: string, hostEnd: string, mac: string): Promise<void> {
    await ip(['link', 'add', srcName, 'address', mac, 'type', 'veth', 'peer', 'name', hostEnd, 'netns', this.netns]);
    try {
      await ip(['-n', this.netns, 'link', 'set', hostEnd, 'master', this.bridge, 'up']);
    } catch (err) {
      await this.removeVeth(srcName, hostEnd);
      throw err;
    }
  }

  /** Removes a pair by either end, wherever it still is (deleting one end deletes both). */
  async removeVeth(srcName: string, hostEnd: string): Promise<void> {
    if (this.netnsExists()) await ipDelete(['-n', this.netns, 'link', 'del', hostEnd]);
    await ipDelete(['link', 'del', srcName]);
  }

  async hasLink(name: string): Promise<boolean> {
    if (!this.netnsExists()) return false;
    try {
      await ip(['-n', this.netns, 'link', 'show', name]);
      return true;
    } catch {
      return false;
    }
  }
}
