import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ownDaemon } from '../harness/own-daemon.js';
import { docker, dockerOk, uniqueName } from '../harness/docker-cli.js';
import { cleanupWeaveNetwork } from '../../src/plugins/weave-network/cleanup.js';
import { startPluginProcess, type PluginProcess } from './plugin-process.js';

/**
 * The network + IPAM driver as a real plugin process under the private test dockerd. Addresses
 * exist only inside the containers' namespaces and on this run's bridge, in this run's namespace.
 */
const own = ownDaemon();
let host = '';
let image = '';
beforeAll(() => {
  host = own.dockerHost;
  image = own.image;
});
const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
const driver = `pcwv${tag}`;
const bridge = `pcb${tag}`.slice(0, 15);
const netns = `pcn-${tag}`;
const octet = 100 + (process.pid % 100);
const subnet = `10.213.${octet}.0/24`;
const ip = (n: number) => `10.213.${octet}.${n}`;
let work = '';
let storePath = '';
let plugin: PluginProcess | null = null;
const networks: string[] = [];
const containers: string[] = [];

const bridgeExists = () => {
  try {
    execFileSync('ip', ['-n', netns, 'link', 'show', bridge], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  work = mkdtempSync(join(inject('runDir'), 'wvn-'));
  storePath = join(work, 'store.json');
  plugin = await startPluginProcess(['network', '--bridge', bridge, '--netns', netns, '--store', storePath, '--host', 'a'],
    join(own.pluginsDir, `${driver}.sock`), join(work, 'plugin.log'));
});

afterAll(async () => {
  if (containers.length) await docker(['rm', '-f', ...containers], { host });
  for (const n of networks) await docker(['network', 'rm', n], { host });
  await plugin?.stop();
  await cleanupWeaveNetwork({ bridge, netns, store: storePath });
  expect(existsSync(`/run/netns/${netns}`)).toBe(false);
});

describe('weave network + IPAM driver under the real dockerd', () => {
  const net = uniqueName('wn');

  it('docker network create with the plugin as driver and IPAM creates the bridge in its own namespace', async () => {
    networks.push(net);
    await dockerOk(['network', 'create', '-d', driver, '--ipam-driver', driver, '--subnet', subnet, '--gateway', ip(1), net], { host });
    const inspect = JSON.parse(await dockerOk(['network', 'inspect', net], { host }))[0];
    expect(inspect).toMatchObject({ Driver: driver, Scope: 'local', IPAM: { Driver: driver, Config: [{ Subnet: subnet, Gateway: ip(1) }] } });
    expect(bridgeExists()).toBe(true);
  });

  it('docker run --ip gives the container that address on eth0, with the gateway route', async () => {
    const out = await dockerOk(['run', '--rm', '--network', net, '--ip', ip(5), image, 'sh', '-c', 'ip addr show eth0; ip route'], { host });
    expect(out).toContain(`inet ${ip(5)}/24`);
    expect(out).toContain('02:70:0a:d5'); // MAC derived from the address
    expect(out).toContain(`default via ${ip(1)}`);
  });

  it('two containers on the network reach each other over the bridge; a dynamic address works too', async () => {
    const srv = uniqueName('wsrv');
    containers.push(srv);
    await dockerOk(['run', '-d', '--name', srv, '--network', net, '--ip', ip(10), image,
      'sh', '-c', 'mkdir -p /www && echo pong > /www/index.html && exec httpd -f -p 80 -h /www'], { host });
    const got = await dockerOk(['run', '--rm', '--network', net, image,
      'sh', '-c', `for i in 1 2 3 4 5 6 7 8 9 10; do timeout 3 wget -q -O- http://${ip(10)}/ && exit 0; sleep 0.5; done; exit 1`], { host });
    expect(got).toBe('pong\n');
    const ping = await docker(['run', '--rm', '--network', net, '--ip', ip(20), image, 'ping', '-c', '1', '-W', '3', ip(10)], { host });
    expect(ping.code, ping.stdout + ping.stderr).toBe(0);
  });

  it('a released address is not handed to the next dynamic request, so it can follow its container with --ip', async () => {
    // dockerd 20.10 sends no endpoint name with RequestAddress (Options: null), so the address
    // follows the container through --ip (what a move does), and the IPAM keeps it aside meanwhile.
    const name = uniqueName('wclaim');
    containers.push(name);
    const first = await dockerOk(['run', '--name', name, '--network', net, image, 'sh', '-c', 'ip -4 -o addr show eth0'], { host });
    const addr = /inet (\S+)/.exec(first)![1]!;
    await dockerOk(['rm', name], { host }); // ReleaseAddress
    const other = await dockerOk(['run', '--rm', '--network', net, image, 'sh', '-c', 'ip -4 -o addr show eth0'], { host });
    expect(/inet (\S+)/.exec(other)![1]).not.toBe(addr);
    const again = await dockerOk(['run', '--name', name, '--network', net, '--ip', addr.split('/')[0]!, image,
      'sh', '-c', 'ip -4 -o addr show eth0'], { host });
    expect(/inet (\S+)/.exec(again)![1]).toBe(addr);
    await dockerOk(['rm', name], { host });
  });

  it('an address in use is refused with the plugin\'s message', async () => {
    const r = await docker(['run', '--rm', '--network', net, '--ip', ip(10), image, 'true'], { host });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/already in use/);
  });

  it('after the containers go, network rm removes the bridge and every veth', async () => {
    await dockerOk(['rm', '-f', ...containers.splice(0)], { host });
    await dockerOk(['network', 'rm', net], { host });
    networks.splice(networks.indexOf(net), 1);
    expect(bridgeExists()).toBe(false);
    // Other tests (the lab) may have veths of their own in the root namespace at this moment: ours
    // are the ones whose peer lives in this test's namespace, and everything inside that namespace.
    const rootEnds = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
      .split('\n').filter((l) => l.includes(`link-netns ${netns}`));
    expect(rootEnds).toEqual([]);
    const ours = execFileSync('ip', ['-n', netns, '-o', 'link', 'show'], { encoding: 'utf8' });
    expect(ours).not.toMatch(/pc[ch][0-9a-f]{12}/);
  });
});
