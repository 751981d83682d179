import { isIP } from 'node:net';
import { describeAnswer, readAnswer } from '../answer-rules.js';
import type { Check, CheckContext, Exchange } from '../types.js';
import { ipv4Range, ipv4ToNumber, isCidr, isMac, isPlainIp } from '../wire-formats.js';
import { defineCheck, DIGEST } from './define-check.js';
import { createEndpoint, createNetwork, deleteEndpoint, deleteNetwork, join, leave } from './network-kit.js';

const NET = 'network' as const;

const capabilities = defineCheck({
  id: 'network.capabilities.scope',
  family: NET,
  title: 'GetCapabilities answers Scope exactly local or global',
  rule: 'GetCapabilities (empty body) succeeds on the first call with Scope exactly "local" or "global" (case-sensitive; anything else leaves the driver unregistered until dockerd restarts); ConnectivityScope, if set, is "local" or "global"',
  source: `${DIGEST} §4.1 GetCapabilities / moby daemon/libnetwork/drivers/remote/driver.go getCapabilities, TestGetInvalidCapabilities; gopher-net/ipvlan-docker-plugin issue #7 / P14`,
  async run(ctx: CheckContext) {
    const body = await ctx.ok('NetworkDriver.GetCapabilities');
    const scope = body['Scope'];
    if (scope !== 'local' && scope !== 'global') ctx.fail(`Scope is ${JSON.stringify(scope)}`, 'exactly "local" or "global"');
    const cs = body['ConnectivityScope'];
    if (cs !== undefined && cs !== '' && cs !== 'local' && cs !== 'global') ctx.fail(`ConnectivityScope is ${JSON.stringify(cs)}`, 'absent, "", "local" or "global"');
    const gw = body['GwAllocChecker'];
    if (gw !== undefined && typeof gw !== 'boolean') ctx.fail(`GwAllocChecker is ${JSON.stringify(gw)}`, 'a boolean');
  },
});

const createNet = defineCheck({
  id: 'network.create-network',
  family: NET,
  title: 'CreateNetwork with IPv4Data succeeds',
  rule: 'CreateNetwork with dockerd\'s request (NetworkID, Options with enable_ipv4/enable_ipv6/generic, IPv4Data [{AddressSpace, Pool, Gateway as CIDR}], IPv6Data []) succeeds',
  source: `${DIGEST} §4.1 CreateNetwork, IPAMData / moby daemon/libnetwork/driverapi/ipamdata.go MarshalJSON, network.go getIPData`,
  async run(ctx: CheckContext) {
    await createNetwork(ctx);
  },
});

/** Fields the plugin may fill in: only those dockerd sent empty, in the formats dockerd parses. */
function judgeInterface(ctx: CheckContext, sent: Record<string, string>, body: Record<string, unknown>): string[] {
  const iface = body['Interface'];
  if (iface === undefined || iface === null) return [];
  if (typeof iface !== 'object' || Array.isArray(iface)) ctx.fail(`Interface is ${JSON.stringify(iface)}`, 'null, {} or an object of the fields dockerd left empty');
  const filled: string[] = [];
  for (const [key, value] of Object.entries(iface as Record<string, unknown>)) {
    if (!(key in sent) || value === '' || value === undefined || value === null) continue;
    if (sent[key] !== '') {
      ctx.fail(`CreateEndpoint echoed Interface.${key} = ${JSON.stringify(value)} that dockerd had set (${JSON.stringify(sent[key])}); dockerd rejects this even for the same value and rolls back with DeleteEndpoint`, `Interface null/{} or only fields that were "" in the request`);
    }
    const valid = key === 'MacAddress' ? isMac(value) : isCidr(value) && isIP(String(value).split('/')[0]!) === (key === 'Address' ? 4 : 6);
    if (!valid) ctx.fail(`Interface.${key} = ${JSON.stringify(value)} is not ${key === 'MacAddress' ? 'a MAC address' : `an IPv${key === 'Address' ? 4 : 6} CIDR`}`, key === 'MacAddress' ? 'aa:bb:cc:dd:ee:ff' : 'CIDR with prefix, e.g. 10.0.0.2/24');
    filled.push(key);
  }
  return filled;
}

const endpointGiven = defineCheck({
  id: 'network.endpoint.given-address',
  family: NET,
  title: 'CreateEndpoint with an address does not echo it',
  rule: 'When dockerd sends Interface.Address (it always does after IPAM), the answer\'s Interface is null/{} or holds only fields that were "" in the request (e.g. MacAddress); echoing Address, AddressIPv6 or MacAddress fails the endpoint',
  source: `${DIGEST} §4.1 CreateEndpoint / moby daemon/libnetwork/endpoint_info.go SetMacAddress/setAddress, drivers/remote/driver.go; libnetwork docs/remote.md / P15`,
  async run(ctx: CheckContext) {
    const net = await createNetwork(ctx);
    const { ep, body } = await createEndpoint(ctx, net, true);
    const filled = judgeInterface(ctx, ep.sent, body);
    if (filled.length > 0) ctx.note(`plugin filled in ${filled.join(', ')}`);
  },
});

const endpointNone = defineCheck({
  id: 'network.endpoint.no-address',
  family: NET,
  title: 'CreateEndpoint without addresses answers valid fields',
  rule: 'When every Interface field is "", the plugin may answer Address/AddressIPv6 (CIDR) and MacAddress (MAC); whatever it answers must parse',
  source: `${DIGEST} §4.1 CreateEndpoint ("Formats") / libnetwork docs/remote.md / P15, P16`,
  async run(ctx: CheckContext) {
    const net = await createNetwork(ctx);
    const { ep, body } = await createEndpoint(ctx, net, false);
    const filled = judgeInterface(ctx, ep.sent, body);
    ctx.note(filled.length > 0 ? `plugin filled in ${filled.join(', ')}` : 'plugin left the Interface to dockerd/IPAM');
  },
});

const joinCheck = defineCheck({
  id: 'network.join',
  family: NET,
  title: 'Join answers InterfaceName and a plain-IP Gateway',
  rule: 'Join answers InterfaceName {SrcName, DstPrefix} (both non-empty), Gateway/GatewayIPv6 as plain IPs (net.ParseIP; a CIDR fails) inside the network\'s subnet, and StaticRoutes with CIDR Destination and a NextHop only for RouteType 0',
  source: `${DIGEST} §4.1 Join / moby daemon/libnetwork/drivers/remote/driver.go Join, endpoint.go sbJoin; libnetwork PR #1360; DESIGN.md §8 (gateway outside the subnet makes runc fail) / P16`,
  async run(ctx: CheckContext) {
    const net = await createNetwork(ctx);
    const { ep } = await createEndpoint(ctx, net, true);
    const body = await join(ctx, ep);
    const iface = body['InterfaceName'] as Record<string, unknown> | null | undefined;
    if (!iface || typeof iface !== 'object') ctx.fail(`InterfaceName is ${JSON.stringify(iface)}: no interface would be moved into the container`, '{"SrcName": "<host interface>", "DstPrefix": "eth"}');
    for (const k of ['SrcName', 'DstPrefix']) {
      if (typeof iface[k] !== 'string' || iface[k] === '') ctx.fail(`InterfaceName.${k} is ${JSON.stringify(iface[k])}`, `a non-empty ${k}`);
    }
    const gw = body['Gateway'];
    if (gw !== undefined && gw !== '') {
      if (!isPlainIp(gw) || isIP(gw) !== 4) ctx.fail(`Gateway is ${JSON.stringify(gw)}`, 'a plain IPv4 address without prefix, e.g. 10.0.0.1');
      const [lo, hi] = ipv4Range(net.pool)!;
      const n = ipv4ToNumber(gw);
      if (n < lo || n > hi) ctx.fail(`Gateway ${gw} lies outside the network's subnet ${net.pool}`, `a gateway inside ${net.pool}`);
    }
    const gw6 = body['GatewayIPv6'];
    if (gw6 !== undefined && gw6 !== '' && (!isPlainIp(gw6) || isIP(gw6) !== 6)) ctx.fail(`GatewayIPv6 is ${JSON.stringify(gw6)}`, 'a plain IPv6 address without prefix');
    const routes = body['StaticRoutes'];
    if (routes !== undefined && routes !== null) {
      if (!Array.isArray(routes)) ctx.fail(`StaticRoutes is ${JSON.stringify(routes)}`, 'an array or null');
      for (const r of routes as Array<Record<string, unknown>>) {
        const ok = r && isCidr(r['Destination']) && (r['RouteType'] === 0 ? isPlainIp(r['NextHop']) : r['RouteType'] === 1 && !r['NextHop']);
        if (!ok) ctx.fail(`bad static route ${JSON.stringify(r)}`, '{"Destination": CIDR, "RouteType": 0, "NextHop": IP} or {"Destination": CIDR, "RouteType": 1}');
      }
    }
  },
});

const leaveCheck = defineCheck({
  id: 'network.leave',
  family: NET,
  title: 'Leave after Join succeeds',
  rule: 'Leave of a joined endpoint succeeds (dockerd only logs Leave errors, so a failing Leave leaks host interfaces)',
  source: `${DIGEST} §4.1 Leave, §9.3 stop order / moby daemon/libnetwork/endpoint.go sbLeave / P17`,
  async run(ctx: CheckContext) {
    const net = await createNetwork(ctx);
    const { ep } = await createEndpoint(ctx, net, true);
    await join(ctx, ep);
    await leave(ctx, ep);
  },
});

const leaveNeverJoined = defineCheck({
  id: 'network.leave.never-joined',
  family: NET,
  title: 'Leave of an endpoint that never joined succeeds',
  rule: 'Leave tolerates an endpoint that never joined: dockerd sends Leave as the rollback of a failed Join',
  source: `${DIGEST} §4.1 Leave ("also sent after a failed Join") / moby daemon/libnetwork/endpoint.go sbJoin rollback / P17`,
  async run(ctx: CheckContext) {
    const net = await createNetwork(ctx);
    const { ep } = await createEndpoint(ctx, net, true);
    await leave(ctx, ep);
  },
});

const deleteEp = defineCheck({
  id: 'network.delete-endpoint',
  family: NET,
  title: 'DeleteEndpoint after Leave succeeds',
  rule: 'DeleteEndpoint of a left endpoint succeeds (dockerd only logs the error)',
  source: `${DIGEST} §4.1 DeleteEndpoint, §9.3 / moby daemon/libnetwork/endpoint.go deleteEndpoint / P17`,
  async run(ctx: CheckContext) {
    const net = await createNetwork(ctx);
    const { ep } = await createEndpoint(ctx, net, true);
    await join(ctx, ep);
    await leave(ctx, ep);
    await deleteEndpoint(ctx, ep);
  },
});

const deleteNet = defineCheck({
  id: 'network.delete-network',
  family: NET,
  title: 'DeleteNetwork succeeds',
  rule: 'DeleteNetwork of a network without endpoints succeeds (dockerd removes the network anyway and only logs an error)',
  source: `${DIGEST} §4.1 DeleteNetwork / moby daemon/libnetwork/network.go deleteNetwork / P17`,
  async run(ctx: CheckContext) {
    const net = await createNetwork(ctx);
    await deleteNetwork(ctx, net);
  },
});

const OPTIONAL_METHODS = ['NetworkDriver.ProgramExternalConnectivity', 'NetworkDriver.RevokeExternalConnectivity'] as const;

const optional404 = defineCheck({
  id: 'network.optional-404',
  family: NET,
  title: 'Unimplemented optional methods answer 404',
  rule: 'ProgramExternalConnectivity and RevokeExternalConnectivity either succeed or answer HTTP 404 (dockerd reads 404 as "not implemented"); a 500 or other error fails the container start',
  source: `${DIGEST} §1.4 (404), §4.1 ProgramExternalConnectivity / moby daemon/libnetwork/drivers/remote/driver.go IsNotFound / P18`,
  async run(ctx: CheckContext) {
    const net = await createNetwork(ctx);
    const { ep } = await createEndpoint(ctx, net, true);
    await join(ctx, ep);
    for (const method of OPTIONAL_METHODS) {
      const body = method.includes('Program') ? { NetworkID: net.id, EndpointID: ep.id, Options: {} } : { NetworkID: net.id, EndpointID: ep.id };
      const ex = await ctx.call(method, body);
      if (ex.status === 404) {
        ctx.note(`${method}: 404 (not implemented)`);
        continue;
      }
      okFrom(ctx, ex, method);
    }
  },
});

function okFrom(ctx: CheckContext, ex: Exchange, method: string): void {
  const a = readAnswer(ex);
  if (a.kind !== 'success') ctx.fail(`${method} answered ${describeAnswer(a)}`, 'HTTP 200 success, or HTTP 404 when not implemented');
}

export const NETWORK_CHECKS: readonly Check[] = [
  capabilities, createNet, endpointGiven, endpointNone, joinCheck, leaveCheck, leaveNeverJoined, deleteEp, deleteNet, optional404,
];
