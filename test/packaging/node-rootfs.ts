import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const APPLETS = ['sh', 'env', 'cat', 'echo', 'ls', 'mkdir', 'rm', 'cp', 'mv', 'ln', 'chmod', 'test', '[', 'true', 'false',
  'sed', 'grep', 'tr', 'head', 'tail', 'sleep', 'touch', 'find', 'xargs', 'dirname', 'basename', 'uname', 'id'];

/**
 * A root filesystem holding this machine's own Node runtime, so that images and plugins are made
 * without any pull: `node` at /usr/local/bin (as in the official image), every library `ldd` lists
 * for it with the dynamic loader, busybox-static for `sh` (npm runs scripts with it), and, with
 * `npm`, this machine's npm package behind a /usr/local/bin/npm wrapper.
 */
export function buildNodeRootfs(root: string, opts: { npm: boolean }): void {
  for (const d of ['bin', 'usr/bin', 'usr/local/bin', 'usr/local/lib/node_modules', 'etc', 'root', 'proc', 'sys', 'dev', 'run']) {
    mkdirSync(join(root, d), { recursive: true });
  }
  mkdirSync(join(root, 'tmp'), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);

  const node = realpathSync(process.execPath);
  copyFileSync(node, join(root, 'usr/local/bin/node'));
  chmodSync(join(root, 'usr/local/bin/node'), 0o755);
  for (const lib of sharedLibraries(node)) {
    const dest = join(root, lib);
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(realpathSync(lib), dest);
  }

  const busybox = ['/usr/bin/busybox', '/bin/busybox'].find((p) => existsSync(p));
  if (!busybox) throw new Error('busybox-static is not installed (Debian: apt-get install busybox-static)');
  copyFileSync(busybox, join(root, 'bin/busybox'));
  chmodSync(join(root, 'bin/busybox'), 0o755);
  for (const a of APPLETS) symlinkSync('busybox', join(root, 'bin', a));
  symlinkSync('/bin/busybox', join(root, 'usr/bin/env'));

  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');

  if (opts.npm) {
    const npmCli = realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());
    const npmDir = dirname(dirname(npmCli));
    cpSync(npmDir, join(root, 'usr/local/lib/node_modules/npm'), { recursive: true, verbatimSymlinks: true });
    writeFileSync(join(root, 'usr/local/bin/npm'), '#!/bin/sh\nexec /usr/local/bin/node /usr/local/lib/node_modules/npm/bin/npm-cli.js "$@"\n', { mode: 0o755 });
  }
}

/** Absolute paths of the libraries (and loader) `ldd` lists for a binary. */
export function sharedLibraries(binary: string): string[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  const libs = new Set<string>();
  for (const line of out.split('\n')) {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.add(m[1]!);
  }
  return [...libs];
}

/** `docker import`s a root filesystem directory as `tag`. */
export function importRootfs(dockerHost: string, root: string, tag: string): void {
  execFileSync('sh', ['-c', `tar -C "${root}" -c . | docker import -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' -c 'CMD ["node"]' - "${tag}"`], {
    env: { ...process.env, DOCKER_HOST: dockerHost },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/** Image ids (all, with intermediates) the daemon has now. */
export function imageIds(dockerHost: string): Set<string> {
  const out = execFileSync('docker', ['images', '-aq', '--no-trunc'], { env: { ...process.env, DOCKER_HOST: dockerHost }, encoding: 'utf8' });
  return new Set(out.split('\n').filter(Boolean));
}
