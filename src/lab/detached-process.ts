import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isAlive, sleep } from './process-tools.js';

/** bin/plugchain.js of this checkout (from src/lab or dist/lab alike). */
export const PLUGCHAIN_BIN = fileURLToPath(new URL('../../bin/plugchain.js', import.meta.url));

export interface DetachedSpec {
  command: string;
  args: string[];
  /** stdout and stderr go here (appended). */
  log: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Starts a process in its own process group, detached from this one: it keeps running when the
 * command that started the lab returns, and `lab down` stops it by pid.
 */
export function spawnDetached(spec: DetachedSpec): number {
  const fd = openSync(spec.log, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      stdio: ['ignore', fd, fd], detached: true, env: spec.env ?? process.env, cwd: spec.cwd,
    });
    child.unref();
    if (!child.pid) throw new Error(`could not start ${spec.command}`);
    // Reap it if it dies while we are still here (no zombie to confuse isAlive()).
    child.on('error', () => undefined);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** Starts `node bin/plugchain.js <args>` detached. */
export function spawnPlugchain(args: string[], log: string, env: NodeJS.ProcessEnv = process.env): number {
  if (!existsSync(fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url)))) {
    throw new Error('dist/ is missing: run npm run build first');
  }
  return spawnDetached({ command: process.execPath, args: [PLUGCHAIN_BIN, ...args], log, env });
}

/** Polls `ready` until it is true; fails early, with the log's tail, if `pid` dies. */
export async function waitReady(what: string, pid: number, log: string, ready: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 20; ; wait = Math.min(wait * 2, 200)) {
    if (await ready()) return;
    if (!isAlive(pid)) throw new Error(`${what} (pid ${pid}) exited before it was ready; ${log}:\n${tail(log)}`);
    if (Date.now() > deadline) throw new Error(`${what} (pid ${pid}) was not ready after ${timeoutMs} ms; ${log}:\n${tail(log)}`);
    await sleep(wait);
  }
}

export function tail(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
