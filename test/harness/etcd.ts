import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalEtcd, type LocalEtcd } from '../../src/lab/local-etcd.js';

export interface TestEtcd extends LocalEtcd {
  /** Stops etcd and removes its directory. */
  dispose(): Promise<void>;
}

/**
 * A real etcd for one test file: loopback only, random client and peer ports, its data in a
 * fresh directory (under `parent` when given) that goes away with it.
 */
export async function startTestEtcd(parent: string = tmpdir()): Promise<TestEtcd> {
  const dir = mkdtempSync(join(parent, 'etcd-'));
  const etcd = await startLocalEtcd({ dir });
  return Object.assign(etcd, {
    async dispose() {
      await etcd.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}
