import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, copyFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const APPLETS = ['sh', 'cat', 'echo', 'sleep', 'ls', 'dd', 'sha256sum', 'head', 'tail', 'wc', 'nc', 'httpd', 'ip',
  'true', 'false', 'env', 'yes', 'mkdir', 'rm', 'cp', 'mv', 'touch', 'date', 'hostname', 'ping', 'wget', 'ps',
  'kill', 'seq', 'grep', 'sed', 'awk', 'tr', 'ifconfig', 'arping', 'timeout', 'stat', 'id', 'test', '['];

/**
 * Imports a busybox-static root filesystem as `tag`, so that tests and the lab never pull.
 * Idempotent: an existing image with that tag is kept.
 */
export function importBusyboxImage(dockerHost: string, tag = 'plugchain/busybox:local'): string {
  const env = { ...process.env, DOCKER_HOST: dockerHost };
  try {
    execFileSync('docker', ['image', 'inspect', tag], { env, stdio: 'ignore' });
    return tag;
  } catch {
    /* not there yet */
  }
  const busybox = ['/usr/bin/busybox', '/bin/busybox'].find((p) => existsSync(p));
  if (!busybox) throw new Error('busybox is not installed (Debian: apt-get install busybox-static)');
  const root = mkdtempSync(join(tmpdir(), 'plugchain-rootfs-'));
  try {
    for (const d of ['bin', 'etc', 'tmp', 'data', 'proc', 'sys', 'dev']) mkdirSync(join(root, d));
    copyFileSync(busybox, join(root, 'bin', 'busybox'));
    for (const a of APPLETS) symlinkSync('busybox', join(root, 'bin', a));
    execFileSync('sh', ['-c', `tar -C "${root}" -c . | docker import -c 'ENV PATH=/bin' -c 'CMD ["sh"]' - "${tag}"`], { env, stdio: 'ignore' });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return tag;
}
