import { readdirSync, readFileSync } from 'node:fs';

/**
 * Small helpers to stop the lab's processes by the pids it recorded. A pid is only signalled
 * while its command line still names what the lab started (pids get reused), and process groups
 * only when the lab made them (every lab process is spawned detached, so its pid is its group).
 */

export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie is dead for our purposes.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The process's argv joined by spaces, or null when it is gone. */
export function commandLine(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return null;
  }
}

/** True while `pid` runs and its command line contains `needle`. */
export function pidMatches(pid: number, needle: string): boolean {
  const cmd = commandLine(pid);
  return cmd !== null && cmd.includes(needle) && isAlive(pid);
}

/** Programs the lab starts; only these are ever swept up by command line. */
export const LAB_PROGRAMS = ['node', 'etcd', 'dockerd', 'containerd', 'containerd-shim', 'containerd-shim-runc-v2', 'runc', 'unshare'];

/**
 * Live processes whose command line contains `needle` and whose program is one the lab starts
 * (so a `tail -f` of a lab log is never hit), never this process or one of its ancestors (the
 * shell or npm that runs `lab down --dir …` names the directory too).
 */
export function pidsMatching(needle: string, programs: readonly string[] = LAB_PROGRAMS): number[] {
  const skip = ancestors();
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (skip.has(pid)) continue;
    const cmd = commandLine(pid);
    if (!cmd?.includes(needle)) continue;
    const program = (cmd.split(' ')[0] ?? '').split('/').pop() ?? '';
    if (programs.includes(program) && isAlive(pid)) out.push(pid);
  }
  return out;
}

function ancestors(): Set<number> {
  const out = new Set<number>([process.pid]);
  let pid = process.ppid;
  for (let i = 0; i < 64 && pid > 1; i++) {
    out.add(pid);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      break;
    }
  }
  return out;
}

export interface StopOptions {
  /** Wait this long after SIGTERM before SIGKILL (0: SIGKILL at once). */
  graceMs?: number;
  /** Also signal the process group (the pid leads it). */
  group?: boolean;
}

/** SIGTERM, wait, SIGKILL; resolves when the process is gone. Safe on a pid that is already gone. */
export async function stopPid(pid: number, opts: StopOptions = {}): Promise<void> {
  if (!isAlive(pid)) return;
  const grace = opts.graceMs ?? 10_000;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(opts.group ? -pid : pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* gone */
      }
    }
  };
  if (grace > 0) {
    signal('SIGTERM');
    const deadline = Date.now() + grace;
    while (isAlive(pid) && Date.now() < deadline) await sleep(50);
    if (!isAlive(pid)) return;
  }
  signal('SIGKILL');
  const deadline = Date.now() + 5_000;
  while (isAlive(pid) && Date.now() < deadline) await sleep(25);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
