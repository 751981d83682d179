import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { CoordinationStore } from '../../store/store.js';
import { updateEntry } from '../../store/update-entry.js';
import type { Logger } from '../../logging/logger.js';
import type { DatasetPaths } from './dataset-paths.js';
import type { DatasetKeys, DatasetRecord } from './dataset-records.js';

const run = promisify(execFile);

export interface MoveContext {
  store: CoordinationStore;
  keys: DatasetKeys;
  paths: DatasetPaths;
  logger: Logger;
  /** Artificial pause between copy and owner switch, for tests of long moves. */
  moveDelayMs: number;
}

/**
 * Moves a dataset's data to `target`. The caller holds the dataset's mount lease, so no other
 * host can mount it meanwhile. Order, chosen so that a crash at any point leaves exactly one
 * authoritative copy (the owner's):
 *   1. copy `<owner>/<name>` to `<target>/.incoming-<name>` (cp -a: modes, owners, links);
 *   2. rename it into place as `<target>/<name>`;
 *   3. switch the owner in the store with compare-and-set (fails if the dataset changed);
 *   4. delete the source copy.
 * A failure before 3 removes the partial copy and leaves the owner unchanged.
 */
export async function moveDataset(ctx: MoveContext, dataset: DatasetRecord, target: string): Promise<DatasetRecord> {
  const from = dataset.owner;
  const source = ctx.paths.dataset(from, dataset.name);
  const incoming = ctx.paths.incoming(target, dataset.name);
  const destination = ctx.paths.dataset(target, dataset.name);
  if (!existsSync(source)) throw new Error(`dataset ${dataset.name}: its data is missing on owner host ${from} (${source})`);
  const started = Date.now();
  ctx.logger.info({ dataset: dataset.name, from, to: target }, 'moving dataset');
  let switched: DatasetRecord | null = null;
  try {
    await rm(incoming, { recursive: true, force: true });
    await mkdir(ctx.paths.hostDir(target), { recursive: true });
    await run('cp', ['-a', '--', source, incoming]);
    if (ctx.moveDelayMs > 0) await new Promise((r) => setTimeout(r, ctx.moveDelayMs));
    await rm(destination, { recursive: true, force: true });
    await rename(incoming, destination);
    const entry = await updateEntry<DatasetRecord>(ctx.store, ctx.keys.dataset(dataset.name), (cur) => {
      if (!cur) throw new Error(`dataset ${dataset.name} was removed during the move`);
      if (cur.owner !== from) throw new Error(`dataset ${dataset.name} changed owner during the move (now ${cur.owner})`);
      return { ...cur, owner: target, movedFrom: from, movedAt: new Date().toISOString() };
    });
    switched = entry!.value;
  } catch (err) {
    await rm(incoming, { recursive: true, force: true }).catch(() => undefined);
    await rm(destination, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
  try {
    await rm(source, { recursive: true, force: true });
  } catch (err) {
    ctx.logger.warn({ dataset: dataset.name, source, err: (err as Error).message }, 'moved, but the old copy could not be deleted');
  }
  ctx.logger.info({ dataset: dataset.name, from, to: target, ms: Date.now() - started }, 'dataset moved');
  return switched;
}
