import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { pidsMatching } from './process-tools.js';

/**
 * What a lab could leave behind on the machine, looked up by its names: processes whose command
 * line names the lab directory, mounts under it (in our mount namespace), its network namespace,
 * its bridge and the container-side veth ends (`pcc…`) in the root namespace, its files.
 */
export interface Leftovers {
  pids: number[];
  mounts: string[];
  netns: boolean;
  links: string[];
  dir: boolean;
}

export function findLeftovers(dir: string, names: { bridge: string; netns: string; veths?: string[] }): Leftovers {
  const mounts = (() => {
    try {
      return readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => (l.split(' ')[1] ?? '').replace(/\\040/g, ' '))
        .filter((m) => m === dir || m.startsWith(`${dir}/`));
    } catch {
      return [];
    }
  })();
  const netnsList = (() => {
    try {
      return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]);
    } catch {
      return [];
    }
  })();
  const links = (() => {
    try {
      const wanted = new Set([names.bridge, ...(names.veths ?? [])]);
      return execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).split('\n')
        .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? '')
        .filter((n) => wanted.has(n));
    } catch {
      return [];
    }
  })();
  return {
    pids: pidsMatching(dir),
    mounts,
    netns: netnsList.includes(names.netns) || existsSync(`/run/netns/${names.netns}`),
    links,
    dir: existsSync(dir),
  };
}

export function isClean(l: Leftovers, opts: { allowDir?: boolean } = {}): boolean {
  return l.pids.length === 0 && l.mounts.length === 0 && !l.netns && l.links.length === 0 && (opts.allowDir || !l.dir);
}
