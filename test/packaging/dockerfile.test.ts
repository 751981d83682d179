import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { docker, dockerOk } from '../harness/docker-cli.js';
import { waitFor } from '../admin/admin-http.js';
import { buildNodeRootfs, imageIds, importRootfs } from './node-rootfs.js';

/**
 * The top-level Dockerfile, built by the real test daemon with no pull and no network: the base
 * image is this machine's own Node runtime imported locally, the build runs with --network=none
 * and DEPS=vendored (node_modules from the context instead of the registry). Then the image runs
 * with a read-only root filesystem, and the docker CLI is driven through the proxy inside it.
 */
const tag = `plugchain/app:test-${process.pid}`;
const baseTag = `plugchain/node-local:20-${process.pid}`;
const name = `plugchain-img-${process.pid}`;
let dir: string;
let before: Set<string>;
const daemon = () => inject('dockerHost');

beforeAll(() => {
  dir = mkdtempSync(join(inject('runDir'), 'img-'));
  before = imageIds(daemon());
  const root = join(dir, 'rootfs');
  buildNodeRootfs(root, { npm: true });
  importRootfs(daemon(), root, baseTag);
  rmSync(root, { recursive: true, force: true });

  // The build context: what the repository holds, plus vendor/node_modules for DEPS=vendored.
  const ctx = join(dir, 'ctx');
  mkdirSync(ctx);
  for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'Dockerfile', '.dockerignore', 'bin', 'schemas', 'src']) {
    cpSync(resolve(f), join(ctx, f), { recursive: true, verbatimSymlinks: true });
  }
  cpSync(resolve('node_modules'), join(ctx, 'vendor', 'node_modules'), { recursive: true, verbatimSymlinks: true });
});

afterAll(async () => {
  await docker(['rm', '-f', name], { host: daemon() });
  // The image, the stages the classic builder left behind, then the base.
  const created = [...imageIds(daemon())].filter((id) => !before.has(id));
  await docker(['rmi', '-f', tag], { host: daemon() });
  for (const id of created) await docker(['rmi', '-f', id], { host: daemon() });
  await docker(['rmi', '-f', baseTag], { host: daemon() });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Dockerfile', () => {
  it('builds offline from a local base image, runs read-only, and proxies the docker CLI', { timeout: 300_000 }, async () => {
    const build = execFileSync('docker', [
      'build', '--pull=false', '--network=none', '--build-arg', `NODE_IMAGE=${baseTag}`, '--build-arg', 'DEPS=vendored',
      '-t', tag, join(dir, 'ctx'),
    ], { env: { ...process.env, DOCKER_HOST: daemon(), DOCKER_BUILDKIT: '0' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
    expect(build).toContain(`Successfully tagged ${tag}`);

    const config = JSON.parse(await dockerOk(['image', 'inspect', '--format', '{{json .Config}}', tag], { host: daemon() }));
    expect(config.Entrypoint).toEqual(['node', '/app/bin/plugchain.js']);
    expect(config.Cmd).toEqual(['serve', '--listen', 'unix:///run/plugchain/plugchain.sock', '--upstream', 'unix:///var/run/docker.sock']);
    // Production dependencies only: no TypeScript, no vitest in the run stage.
    const ls = await dockerOk(['run', '--rm', '--network', 'none', '--entrypoint', 'node', tag, '-e',
      "const fs=require('fs');console.log(['typescript','vitest','pino','prom-client'].map(p=>p+'='+fs.existsSync('/app/node_modules/'+p)).join(' '))"], { host: daemon() });
    expect(ls.trim()).toBe('typescript=false vitest=false pino=true prom-client=true');

    const runDir = join(dir, 'run');
    mkdirSync(runDir);
    const daemonSock = daemon().replace(/^unix:\/\//, '');
    await dockerOk(['run', '-d', '--name', name, '--read-only', '--network', 'none',
      '-v', `${daemonSock}:/var/run/docker.sock`, '-v', `${runDir}:/run/plugchain`, tag], { host: daemon() });
    const host = `unix://${join(runDir, 'plugchain.sock')}`;
    await waitFor('the proxy socket', async () => existsSync(join(runDir, 'plugchain.sock')) && (await docker(['version'], { host })).code === 0, 30_000);

    const version = await dockerOk(['version', '--format', '{{.Server.Version}}'], { host });
    expect(version.trim()).toMatch(/^\d+\.\d+/);
    const hi = await dockerOk(['run', '--rm', '--network', 'none', inject('image'), 'echo', 'hi'], { host });
    expect(hi).toBe('hi\n');

    // Read-only root, and nothing written anywhere but the mounted volumes.
    expect((await dockerOk(['inspect', '--format', '{{.HostConfig.ReadonlyRootfs}}', name], { host: daemon() })).trim()).toBe('true');
    // (docker diff lists the mount points the runtime itself made for the two -v volumes.)
    const mountPoints = new Set(['/run', '/run/plugchain', '/var', '/var/run', '/var/run/docker.sock']);
    const changed = (await dockerOk(['diff', name], { host: daemon() })).split('\n').filter(Boolean)
      .filter((l) => !mountPoints.has(l.slice(2)));
    expect(changed).toEqual([]);
    const logs = await docker(['logs', name], { host: daemon() });
    expect(logs.stderr).toContain('plugchain serving');
  });
});
