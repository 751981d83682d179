import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { removeStateDir, startPrivateDockerd, type PrivateDockerd } from '../../src/lab/private-dockerd.js';
import { importBusyboxImage } from '../../src/lab/busybox-image.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** DOCKER_HOST of the private test daemon. */
    dockerHost: string;
    /** Directory this daemon discovers legacy plugins in (its own /run/docker/plugins). */
    pluginsDir: string;
    /** A locally imported busybox image; tests never pull. */
    image: string;
    /** Scratch directory for this run. */
    runDir: string;
  }
}

let daemon: PrivateDockerd | null = null;
let runDir = '';

/**
 * One private dockerd for the whole run, in its own mount namespace so that its
 * /run/docker/plugins is a directory of this run and nothing else's.
 */
export async function setup(project: TestProject): Promise<void> {
  runDir = mkdtempSync('/tmp/pct-');
  const pluginsDir = join(runDir, 'plugins');
  daemon = await startPrivateDockerd({ stateDir: join(runDir, 'd'), pluginsDir });
  const image = importBusyboxImage(daemon.dockerHost);
  project.provide('dockerHost', daemon.dockerHost);
  project.provide('pluginsDir', pluginsDir);
  project.provide('image', image);
  project.provide('runDir', runDir);
}

export async function teardown(): Promise<void> {
  if (daemon) {
    const { execFileSync } = await import('node:child_process');
    try {
      const ids = execFileSync('docker', ['ps', '-aq'], { env: { ...process.env, DOCKER_HOST: daemon.dockerHost }, encoding: 'utf8' }).trim();
      if (ids) execFileSync('docker', ['rm', '-f', ...ids.split('\n')], { env: { ...process.env, DOCKER_HOST: daemon.dockerHost }, stdio: 'ignore' });
    } catch {
      /* the daemon may be gone already */
    }
    await daemon.stop();
  }
  if (runDir) removeStateDir(runDir);
}
