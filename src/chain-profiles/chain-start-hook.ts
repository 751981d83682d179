import { defineHook, type Hook, type HookContext } from '../chain/hook.js';
import { DAEMON_ACCESS_KEY, type DaemonAccess } from '../chain/engine-access.js';
import type { ChainProfile, PluginUpstream } from '../config/config.js';
import { PlugchainError } from '../errors/plugchain-error.js';
import { chainedVolumesOf } from './chained-volumes.js';
import { volumeDriverAddress } from './plugin-address.js';
import { prepareVolumes, releaseMounts, type PreparedMount } from './volume-preparer.js';

export const CHAIN_START_OPERATIONS = ['ContainerStart', 'ContainerRestart'] as const;
export const DEFAULT_CHAIN_PROFILE: ChainProfile = Object.freeze({
  volumeDrivers: ['flocker'],
  networkDrivers: ['weave'],
  prepareTimeoutMs: 120_000,
}) as ChainProfile;

const PREPARED_KEY = 'chain.prepared';
/** Time the runner allows beyond prepareTimeoutMs (inspect, release), so the prepare's own 504 wins. */
const RUNNER_MARGIN_MS = 15_000;

export interface ChainStartOptions {
  profile: ChainProfile;
  pluginDir: string;
  plugins: readonly PluginUpstream[];
  operations?: readonly string[];
}

/**
 * The chain profile on start: volume first, network second, on every daemon.
 *
 * pre  — inspect the container through the daemon; for each volume of a chained volume driver,
 *        `VolumeDriver.Mount` with plugchain's own ID through the plugin side (a Flocker-style
 *        driver moves the data here), progress in the log, one deadline for all. Only when every
 *        volume is ready does the start go on to dockerd, which then creates the network endpoint
 *        (on dockerd < 28 before its own Mount, which now finds the data here). A failure answers
 *        the client `plugchain: prepare volume <name> on <driver>: <Err>` and dockerd never sees
 *        the start: no endpoint, no address.
 * post — dockerd answered (its own mount is held when start succeeded): release plugchain's mount.
 * undo — the same release, when a later hook or the daemon failed.
 */
export function chainStartHook(opts: ChainStartOptions): Hook {
  const volumeDrivers = new Set(opts.profile.volumeDrivers);
  const networkDrivers = opts.profile.networkDrivers;
  const release = async (ctx: HookContext) => {
    const held = ctx.state.get(PREPARED_KEY) as PreparedMount[] | undefined;
    if (!held?.length) return;
    ctx.state.delete(PREPARED_KEY);
    await releaseMounts(held, ctx.log);
  };
  return defineHook({
    name: 'chain-profile',
    side: 'engine',
    operations: opts.operations ?? CHAIN_START_OPERATIONS,
    timeoutMs: opts.profile.prepareTimeoutMs + RUNNER_MARGIN_MS,
    needsRequestBody: false,
    // The release must wait for dockerd's answer; start/restart answers are empty, so this costs
    // nothing.
    needsResponse: true,
    async pre(ctx) {
      const daemon = ctx.state.get(DAEMON_ACCESS_KEY) as DaemonAccess | undefined;
      if (!daemon) throw new PlugchainError('PLUGCHAIN_HOOK_FAILED', 'plugchain: chain-profile needs the engine side (no daemon access)');
      const id = ctx.params.id;
      if (!id) return;
      const inspect = await daemon.call('GET', `/containers/${encodeURIComponent(id)}/json`);
      if (inspect.status === 404) return; // dockerd will answer "No such container" itself
      if (inspect.status !== 200) {
        const said = (inspect.body as { message?: string } | undefined)?.message ?? `HTTP ${inspect.status}`;
        throw new PlugchainError('PLUGCHAIN_CHAIN_PREPARE_FAILED', `plugchain: cannot inspect container ${id} before start: ${said}`, { status: 502 });
      }
      const doc = inspect.body as { Id?: string; State?: { Running?: boolean } };
      // An already-running container: start answers 304 and mounts nothing.
      if (ctx.operation === 'ContainerStart' && doc.State?.Running) return;
      const volumes = chainedVolumesOf(doc, volumeDrivers);
      if (volumes.length === 0) return;
      ctx.log.info({ container: id, volumes, networkDrivers }, 'chain: volumes first, then the start (and its network endpoints)');
      const held = await prepareVolumes({
        volumes,
        container: doc.Id ?? id,
        timeoutMs: opts.profile.prepareTimeoutMs,
        log: ctx.log,
        addressOf: (driver) => volumeDriverAddress(driver, opts.pluginDir, opts.plugins),
      });
      ctx.state.set(PREPARED_KEY, held);
    },
    post: release,
    undo: release,
  });
}
