import { labLayout } from './lab-layout.js';
import { readLabState, writeLabState } from './lab-state.js';
import { spawnPlugchain, waitReady } from './detached-process.js';
import { pidMatches, stopPid } from './process-tools.js';
import { ping } from './private-dockerd.js';

/**
 * Stops and restarts one lab host's plugchain, keeping lab.json right (so `lab down` stops the new
 * process by its pid). `env` is added to the environment of the new process (e.g. the test-only
 * PLUGCHAIN_MOVE_* failure injection); variables named in `unset` are left out.
 */
export async function restartHostPlugchain(dir: string, host: string, opts: { env?: Record<string, string>; unset?: string[]; graceMs?: number } = {}): Promise<number> {
  await stopHostPlugchain(dir, host, opts.graceMs);
  const layout = labLayout(dir);
  const state = readLabState(layout.statePath);
  const h = state?.hosts.find((x) => x.name === host);
  if (!state || !h) throw new Error(`no lab host ${host} in ${dir}`);
  const env: NodeJS.ProcessEnv = { ...process.env, PLUGCHAIN_HOST: host, PLUGCHAIN_STORE: state.storeUrl, PLUGCHAIN_LAB_DIR: state.dir, ...opts.env };
  for (const k of opts.unset ?? []) delete env[k];
  const log = `${layout.host(host).logsDir}/plugchain.log`;
  const pid = spawnPlugchain(['serve', '--config', h.plugchainConfig], log, env);
  h.plugchain = { pid, match: h.plugchainConfig, log };
  writeLabState(layout.statePath, state);
  await waitReady(`plugchain of host ${host}`, pid, log, () => ping(h.proxySocket, 1_000));
  return pid;
}

/** Stops a host's plugchain (SIGTERM, then SIGKILL after graceMs; 0: SIGKILL at once). */
export async function stopHostPlugchain(dir: string, host: string, graceMs = 5_000): Promise<void> {
  const state = readLabState(labLayout(dir).statePath);
  const p = state?.hosts.find((x) => x.name === host)?.plugchain;
  if (p && pidMatches(p.pid, p.match)) await stopPid(p.pid, { graceMs });
}
