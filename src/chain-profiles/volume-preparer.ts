import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { PlugchainError } from '../errors/plugchain-error.js';
import type { ChainedVolume } from './chained-volumes.js';
import { pluginFailure, volumeCall } from './volume-call.js';

/** A mount plugchain holds itself, until dockerd holds its own. */
export interface PreparedMount {
  readonly name: string;
  readonly driver: string;
  readonly address: string;
  /** plugchain's own mount ID (never dockerd's), so the plugin counts it apart. */
  readonly id: string;
}

export interface PrepareOptions {
  volumes: readonly ChainedVolume[];
  /** Container id or name, for the mount ID and the logs. */
  container: string;
  timeoutMs: number;
  log: Logger;
  addressOf(driver: string): string;
  /** Interval of "still preparing" progress lines (default: an eighth of the deadline, 0.25–5 s). */
  progressEveryMs?: number;
}

/** How long a release may take; it runs after the answer, so it may wait for a slow Mount to end. */
const RELEASE_TIMEOUT_MS = 150_000;

export function prepareMountId(container: string): string {
  return `plugchain-prepare-${container.slice(0, 12)}-${randomBytes(4).toString('hex')}`;
}

/**
 * Mounts every chained volume on this host through its driver (a Flocker-style driver moves the
 * data here on Mount), all at once, within one deadline. Resolves with the mounts plugchain now
 * holds; on any failure releases the ones that succeeded (and, in the background, the ones that
 * were cut off) and throws `plugchain: prepare volume <name> on <driver>: <reason>`.
 */
export async function prepareVolumes(opts: PrepareOptions): Promise<PreparedMount[]> {
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  const started = Date.now();
  const results = await Promise.allSettled(opts.volumes.map((v) => prepareOne(v, opts, deadline, started)));
  const held: PreparedMount[] = [];
  let failure: PlugchainError | null = null;
  results.forEach((r) => {
    if (r.status === 'fulfilled') held.push(r.value);
    else failure ??= r.reason as PlugchainError;
  });
  if (failure) {
    await releaseMounts(held, opts.log);
    throw failure;
  }
  return held;
}

async function prepareOne(v: ChainedVolume, opts: PrepareOptions, deadline: AbortSignal, started: number): Promise<PreparedMount> {
  const log = opts.log.child({ volume: v.name, driver: v.driver });
  const fail = (reason: string, status = 500) =>
    new PlugchainError('PLUGCHAIN_CHAIN_PREPARE_FAILED', `plugchain: prepare volume ${v.name} on ${v.driver}: ${reason}`, { status });
  let address: string;
  try {
    address = opts.addressOf(v.driver);
  } catch (err) {
    throw fail((err as Error).message);
  }
  const mount: PreparedMount = { name: v.name, driver: v.driver, address, id: prepareMountId(opts.container) };
  log.info({ container: opts.container, id: mount.id }, 'chain: preparing volume on this host before start');
  const every = opts.progressEveryMs ?? Math.min(5_000, Math.max(250, Math.round(opts.timeoutMs / 8)));
  const progress = setInterval(() => {
    log.info({ container: opts.container, elapsedMs: Date.now() - started }, 'chain: still preparing volume (the driver may be moving its data)');
  }, every);
  progress.unref();
  try {
    const reply = await volumeCall(address, 'VolumeDriver.Mount', { Name: v.name, ID: mount.id }, deadline);
    const why = pluginFailure(reply);
    if (why) throw fail(why);
    log.info({ container: opts.container, ms: Date.now() - started, mountpoint: reply.body.Mountpoint }, 'chain: volume ready on this host');
    return mount;
  } catch (err) {
    if (PlugchainError.is(err)) throw err;
    if (deadline.aborted) {
      // The plugin may still be moving data under our ID: give the mount back once it is done.
      void releaseMounts([mount], log);
      throw fail(`no answer within ${opts.timeoutMs} ms (chain.prepareTimeoutMs); start was not forwarded`, 504);
    }
    throw fail(`driver unreachable at ${address}: ${(err as Error).message}`, 502);
  } finally {
    clearInterval(progress);
  }
}

/** Unmounts plugchain's own preparation mounts. Failures are logged: the container is not affected. */
export async function releaseMounts(mounts: readonly PreparedMount[], log: Logger): Promise<void> {
  await Promise.all(mounts.map(async (m) => {
    try {
      const reply = await volumeCall(m.address, 'VolumeDriver.Unmount', { Name: m.name, ID: m.id }, AbortSignal.timeout(RELEASE_TIMEOUT_MS));
      const why = pluginFailure(reply);
      if (why) log.warn({ volume: m.name, driver: m.driver, id: m.id, err: why }, 'chain: releasing the preparation mount failed');
      else log.info({ volume: m.name, driver: m.driver, id: m.id }, 'chain: preparation mount released');
    } catch (err) {
      log.warn({ volume: m.name, driver: m.driver, id: m.id, err: (err as Error).message }, 'chain: releasing the preparation mount failed');
    }
  }));
}
