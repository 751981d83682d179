import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import { removeStateDir, startPrivateDockerd, type PrivateDockerd } from '../../src/lab/private-dockerd.js';
import { importBusyboxImage } from '../../src/lab/busybox-image.js';

export interface OwnDaemon {
  /** Filled in by the file's first beforeAll. */
  dockerHost: string;
  pluginsDir: string;
  /** Its /etc/docker/plugins (legacy spec files), a directory of this file's own. */
  specsDir: string;
  image: string;
}

/**
 * A private dockerd for one test file, for files that register legacy plugins. dockerd keeps every
 * volume driver it has looked up for its lifetime and probes all of them for unknown volume names;
 * a driver whose plugin is gone then costs each lookup ~15 s of retries (P23). Files that start and
 * stop plugins therefore get a daemon of their own, and the shared one stays free of dead drivers.
 * Call it at the top of the file, before other hooks, so its beforeAll runs first.
 */
export function ownDaemon(): OwnDaemon {
  const own: OwnDaemon = { dockerHost: '', pluginsDir: '', specsDir: '', image: '' };
  let daemon: PrivateDockerd | null = null;
  let dir = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(inject('runDir'), 'od-'));
    own.pluginsDir = join(dir, 'plugins');
    own.specsDir = join(dir, 'specs');
    daemon = await startPrivateDockerd({ stateDir: join(dir, 'd'), pluginsDir: own.pluginsDir, specsDir: own.specsDir });
    own.dockerHost = daemon.dockerHost;
    own.image = importBusyboxImage(daemon.dockerHost);
  }, 120_000);
  afterAll(async () => {
    await daemon?.stop();
    if (dir) removeStateDir(dir);
  }, 60_000);
  return own;
}
