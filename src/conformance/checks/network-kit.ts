import { randomInt } from 'node:crypto';
import type { CheckContext } from '../types.js';

/** A network a check created, with the IPv4 data dockerd would have sent. */
export interface NetworkHandle {
  readonly id: string;
  /** `10.x.y.0/24` */
  readonly pool: string;
  /** Prefix without the last octet: `10.x.y.` */
  readonly base: string;
  deleted: boolean;
}

export interface EndpointHandle {
  readonly id: string;
  readonly net: NetworkHandle;
  /** The Interface dockerd sent in CreateEndpoint. */
  readonly sent: { Address: string; AddressIPv6: string; MacAddress: string };
  joined: boolean;
  deleted: boolean;
}

/** A random /24 inside 10.224.0.0/12, so parallel runs rarely collide. */
export function randomSubnetBase(): string {
  return `10.${224 + randomInt(16)}.${randomInt(256)}.`;
}

/** CreateNetwork as dockerd sends it for `docker network create -d X --subnet S --gateway G`. */
export async function createNetwork(ctx: CheckContext): Promise<NetworkHandle> {
  const base = randomSubnetBase();
  const net: NetworkHandle = { id: ctx.hexId(), pool: `${base}0/24`, base, deleted: false };
  await ctx.ok('NetworkDriver.CreateNetwork', {
    NetworkID: net.id,
    Options: {
      'com.docker.network.enable_ipv4': true,
      'com.docker.network.enable_ipv6': false,
      'com.docker.network.generic': { 'plugchain.conform': ctx.name('net') },
    },
    IPv4Data: [{ AddressSpace: 'LocalDefault', Pool: net.pool, Gateway: `${base}1/24` }],
    IPv6Data: [],
  });
  ctx.defer(`delete network ${net.id.slice(0, 12)}`, async () => {
    if (!net.deleted) await deleteNetwork(ctx, net);
  });
  return net;
}

export async function deleteNetwork(ctx: CheckContext, net: NetworkHandle): Promise<void> {
  await ctx.ok('NetworkDriver.DeleteNetwork', { NetworkID: net.id });
  net.deleted = true;
}

/**
 * CreateEndpoint; with an address (as dockerd always sends after IPAM) or with every Interface
 * field "" (the plugin may then fill them in). Answers the response body.
 */
export async function createEndpoint(ctx: CheckContext, net: NetworkHandle, withAddress: boolean): Promise<{ ep: EndpointHandle; body: Record<string, unknown> }> {
  const sent = { Address: withAddress ? `${net.base}2/24` : '', AddressIPv6: '', MacAddress: '' };
  const ep: EndpointHandle = { id: ctx.hexId(), net, sent, joined: false, deleted: false };
  const body = await ctx.ok('NetworkDriver.CreateEndpoint', {
    NetworkID: net.id,
    EndpointID: ep.id,
    Interface: sent,
    Options: { 'com.docker.network.endpoint.exposedports': [], 'com.docker.network.portmap': [] },
  });
  ctx.defer(`delete endpoint ${ep.id.slice(0, 12)}`, async () => {
    if (ep.joined) await leave(ctx, ep);
    if (!ep.deleted) await deleteEndpoint(ctx, ep);
  });
  return { ep, body };
}

export async function deleteEndpoint(ctx: CheckContext, ep: EndpointHandle): Promise<void> {
  await ctx.ok('NetworkDriver.DeleteEndpoint', { NetworkID: ep.net.id, EndpointID: ep.id });
  ep.deleted = true;
}

/** Join with a SandboxKey shaped like dockerd's (/var/run/docker/netns/<12 hex>). */
export async function join(ctx: CheckContext, ep: EndpointHandle): Promise<Record<string, unknown>> {
  const body = await ctx.ok('NetworkDriver.Join', {
    NetworkID: ep.net.id,
    EndpointID: ep.id,
    SandboxKey: `/var/run/docker/netns/${ctx.hexId().slice(0, 12)}`,
    Options: {},
  });
  ep.joined = true;
  return body;
}

export async function leave(ctx: CheckContext, ep: EndpointHandle): Promise<void> {
  await ctx.ok('NetworkDriver.Leave', { NetworkID: ep.net.id, EndpointID: ep.id });
  ep.joined = false;
}
