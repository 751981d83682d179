import { dockerCli, dockerOk } from './lab-docker.js';

/**
 * A Weave-style network exists once per daemon (the driver's scope is `local`), all of them on
 * the one shared bridge with one shared pool: create it under the same name and subnet on every
 * lab host, and an address taken on one host is reachable, and taken, on all of them.
 */
export interface LabNetworkSpec {
  name: string;
  /** e.g. 10.213.10.0/24 (keep lab addresses inside 10.213.0.0/16). */
  subnet: string;
  /** Default: the subnet's .1. */
  gateway?: string;
}

export function defaultGateway(subnet: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(subnet);
  if (!m) throw new Error(`subnet ${subnet} is not an IPv4 CIDR`);
  return `${m[1]}.${m[2]}.${m[3]}.${Number(m[4]) + 1}`;
}

/** Creates the network on every host (idempotent: an existing network of that name is kept). */
export async function createLabNetwork(
  hosts: ReadonlyArray<{ proxyHost: string; networkDriver: string }>,
  spec: LabNetworkSpec,
): Promise<{ name: string; subnet: string; gateway: string }> {
  const gateway = spec.gateway ?? defaultGateway(spec.subnet);
  // One after the other: the first one creates the bridge and the pool, the others join them.
  for (const h of hosts) {
    const exists = await dockerCli(h.proxyHost, ['network', 'inspect', spec.name]);
    if (exists.code === 0) continue;
    await dockerOk(h.proxyHost, ['network', 'create', '-d', h.networkDriver, '--ipam-driver', h.networkDriver,
      '--subnet', spec.subnet, '--gateway', gateway, spec.name]);
  }
  return { name: spec.name, subnet: spec.subnet, gateway };
}
