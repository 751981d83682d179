import type { Logger } from 'pino';
import type { CoordinationStore } from '../store/store.js';
import { updateEntry } from '../store/update-entry.js';
import type { EngineClient } from './engine-client.js';
import type { DatasetHolds } from './dataset-holds.js';
import type { RemoteHolds } from './remote-holds.js';
import { endpointConfig, inSubnet } from './move-plan.js';
import { moveKeys, type AddressClaim, type LeaseValue } from './store-keys.js';
import { MOVE_LABEL, type MoveRecord, type StepName } from './move-types.js';

/** What a step works with. Built once per move (and again when a move is resumed). */
export interface StepContext {
  record: MoveRecord;
  self: string;
  source: EngineClient;
  target: EngineClient;
  holds: DatasetHolds;
  remote: RemoteHolds;
  store: CoordinationStore;
  holdId: string;
  log: Logger;
}

/**
 * One step. `do` and `undo` are idempotent for (move id, step): running either twice, or after a
 * crash half-way through, ends in the same state. `undo: null` marks the point of no return.
 * `onCrash` says what a restarted plugchain does when this step is the next one to finish.
 */
export interface StepDef {
  name: StepName;
  onCrash: 'rollback' | 'resume';
  do(ctx: StepContext): Promise<string | void>;
  undo: ((ctx: StepContext) => Promise<string | void>) | null;
}

export const STEPS: readonly StepDef[] = [
  {
    // The dataset must not be in use anywhere else. The move's lease (store) keeps other moves
    // off it; a hold through the plugin (Mount with the move's ID) keeps every other host's
    // daemon from mounting it until the move ends.
    name: 'fence',
    onCrash: 'rollback',
    async do(ctx) {
      for (const ds of ctx.record.plan.datasets) {
        await updateEntry<LeaseValue>(ctx.store, moveKeys.lease(ds.name), (cur) => {
          if (cur && cur.moveId !== ctx.record.id) throw new Error(`dataset ${ds.name} is leased by move ${cur.moveId}`);
          if (cur) return undefined;
          return { moveId: ctx.record.id, container: ctx.record.plan.name, from: ctx.record.from, to: ctx.record.to, since: new Date().toISOString() };
        });
        await holdOnce(ctx.holds, ds, ctx.holdId);
      }
      return ctx.record.plan.datasets.map((d) => d.name).join(', ');
    },
    async undo(ctx) {
      for (const ds of ctx.record.plan.datasets) {
        await ctx.holds.release(ds, ctx.holdId);
        await dropIfOurs<LeaseValue>(ctx.store, moveKeys.lease(ds.name), ctx.record.id);
      }
    },
  },
  {
    // dockerd stops the container: Leave and DeleteEndpoint first, then Unmount.
    name: 'stop-source',
    onCrash: 'rollback',
    async do(ctx) {
      const id = ctx.record.plan.containerId;
      await ctx.source.ok('POST', `/containers/${id}/stop?t=${ctx.record.plan.stopTimeoutSec}`, undefined, [204, 304], (ctx.record.plan.stopTimeoutSec + 30) * 1000);
      const state = await inspectState(ctx.source, id);
      if (!state) throw new Error(`container ${ctx.record.plan.name} disappeared from host ${ctx.self}`);
      if (state.Running) throw new Error(`container ${ctx.record.plan.name} still runs on host ${ctx.self} after stop`);
    },
    async undo(ctx) {
      const id = ctx.record.plan.containerId;
      const state = await inspectState(ctx.source, id);
      if (!state) throw new Error(`container ${ctx.record.plan.name} is gone from host ${ctx.self}; it cannot be restarted there`);
      if (!state.Running) await ctx.source.ok('POST', `/containers/${id}/start`, undefined, [204, 304]);
      await waitRunning(ctx.source, id);
    },
  },
  {
    // After stop the endpoint is gone and dockerd has released the address (ReleaseAddress):
    // check that, and record the address as "between hosts" so that no other move takes it.
    name: 'release-address',
    onCrash: 'rollback',
    async do(ctx) {
      await waitFor(async () => {
        const r = await ctx.source.ok<{ NetworkSettings: { Networks: Record<string, { EndpointID: string }> } }>('GET', `/containers/${ctx.record.plan.containerId}/json`);
        return Object.values(r.body.NetworkSettings.Networks ?? {}).every((n) => !n.EndpointID);
      }, 15_000, `the network endpoints of ${ctx.record.plan.name} are still there on host ${ctx.self} after stop`);
      const ips = pinned(ctx);
      for (const ip of ips) {
        await updateEntry<AddressClaim>(ctx.store, moveKeys.address(ip), (cur) => {
          if (cur && cur.moveId !== ctx.record.id) throw new Error(`address ${ip} is claimed by move ${cur.moveId}`);
          return { moveId: ctx.record.id, container: ctx.record.plan.name, holder: 'released', since: new Date().toISOString() };
        });
      }
      return ips.join(', ');
    },
    async undo(ctx) {
      for (const ip of pinned(ctx)) await dropIfOurs<AddressClaim>(ctx.store, moveKeys.address(ip), ctx.record.id);
    },
  },
  {
    // Through the plugins' protocol: let go of the source hold, then hold the dataset on the
    // target through its plugchain; the target driver's Mount moves the data there.
    name: 'move-dataset',
    onCrash: 'rollback',
    async do(ctx) {
      for (const ds of ctx.record.plan.datasets) {
        await ctx.holds.release(ds, ctx.holdId);
        await ctx.remote.release(ds, ctx.holdId); // keeps the hold count at one if this step runs again
        await ctx.remote.hold(ds, ctx.holdId);
      }
    },
    async undo(ctx) {
      for (const ds of ctx.record.plan.datasets) {
        try {
          await ctx.remote.release(ds, ctx.holdId);
        } catch (err) {
          // Harmless only if the target never got the dataset.
          const status = await ctx.holds.status(ds);
          if (status.mountedOn === ctx.record.to) throw err;
          ctx.log.warn({ dataset: ds.name, err: (err as Error).message }, 'move rollback: target unreachable, but it does not hold the dataset');
        }
        await holdOnce(ctx.holds, ds, ctx.holdId); // Mount on the source brings the data back
      }
    },
  },
  {
    // The address must be free on the target's network (dockerd there will request it with --ip).
    name: 'claim-address',
    onCrash: 'rollback',
    async do(ctx) {
      for (const ep of ctx.record.plan.endpoints.filter((e) => e.chained && e.ip)) {
        const net = await ctx.target.ok<{ IPAM?: { Config?: Array<{ Subnet?: string }> | null }; Containers?: Record<string, { Name: string; IPv4Address: string }> | null }>('GET', `/networks/${encodeURIComponent(ep.network)}`);
        if (!(net.body.IPAM?.Config ?? []).some((c) => c.Subnet && inSubnet(ep.ip, c.Subnet))) throw new Error(`address ${ep.ip} is outside network ${ep.network} on host ${ctx.record.to}`);
        const squatter = Object.values(net.body.Containers ?? {}).find((c) => c.IPv4Address.split('/')[0] === ep.ip);
        if (squatter) throw new Error(`address ${ep.ip} is taken on host ${ctx.record.to} by container ${squatter.Name}`);
        await updateEntry<AddressClaim>(ctx.store, moveKeys.address(ep.ip), (cur) => {
          if (!cur || cur.moveId !== ctx.record.id) throw new Error(`address ${ep.ip} is no longer reserved for this move`);
          return { ...cur, holder: ctx.record.to };
        });
      }
      return pinned(ctx).join(', ');
    },
    async undo(ctx) {
      for (const ip of pinned(ctx)) {
        await updateEntry<AddressClaim>(ctx.store, moveKeys.address(ip), (cur) => (cur && cur.moveId === ctx.record.id && cur.holder !== 'released' ? { ...cur, holder: 'released' } : undefined));
      }
    },
  },
  {
    // Create and start through the target's plugchain, with the source's config and addresses.
    name: 'start-target',
    onCrash: 'rollback',
    async do(ctx) {
      const plan = ctx.record.plan;
      const name = encodeURIComponent(plan.name);
      let existing = await ctx.target.request<{ Id: string; Config: { Labels?: Record<string, string> | null } }>('GET', `/containers/${name}/json`);
      if (existing.status === 200 && existing.body.Config.Labels?.[MOVE_LABEL] !== ctx.record.id) {
        throw new Error(`the name ${plan.name} is taken on host ${ctx.record.to} by a container this move did not create`);
      }
      if (existing.status !== 200) {
        await ctx.target.ok('POST', `/containers/create?name=${name}`, plan.createBody, [201]);
        existing = await ctx.target.ok('GET', `/containers/${name}/json`);
      }
      const id = existing.body.Id;
      const primary = Object.keys(((plan.createBody.NetworkingConfig as { EndpointsConfig?: object } | undefined)?.EndpointsConfig) ?? {});
      const attached = await ctx.target.ok<{ NetworkSettings: { Networks: Record<string, unknown> } }>('GET', `/containers/${id}/json`);
      for (const ep of plan.endpoints) {
        if (primary.includes(ep.network) || attached.body.NetworkSettings.Networks?.[ep.network]) continue;
        await ctx.target.ok('POST', `/networks/${encodeURIComponent(ep.network)}/connect`, { Container: id, EndpointConfig: endpointConfig(ep) }, [200]);
      }
      await ctx.target.ok('POST', `/containers/${id}/start`, undefined, [204, 304], 180_000);
      await waitRunning(ctx.target, id);
      const after = await ctx.target.ok<{ NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }>('GET', `/containers/${id}/json`);
      for (const ep of plan.endpoints.filter((e) => e.chained && e.ip)) {
        const got = after.body.NetworkSettings.Networks?.[ep.network]?.IPAddress;
        if (got !== ep.ip) throw new Error(`container ${plan.name} came up on host ${ctx.record.to} with address ${got ?? 'none'} on ${ep.network}, not ${ep.ip}`);
      }
      return id.slice(0, 12);
    },
    async undo(ctx) {
      const name = encodeURIComponent(ctx.record.plan.name);
      const existing = await ctx.target.request<{ Id: string; Config: { Labels?: Record<string, string> | null } }>('GET', `/containers/${name}/json`);
      if (existing.status === 404) return;
      if (existing.status !== 200) throw new Error(`cannot inspect ${ctx.record.plan.name} on host ${ctx.record.to}: HTTP ${existing.status}`);
      if (existing.body.Config.Labels?.[MOVE_LABEL] !== ctx.record.id) return; // not ours: leave it alone
      await ctx.target.ok('DELETE', `/containers/${existing.body.Id}?force=1`, undefined, [204, 404]);
    },
  },
  {
    // The point of no return: the container runs on the target. From here a move only goes forward.
    name: 'remove-source',
    onCrash: 'resume',
    async do(ctx) {
      await ctx.source.ok('DELETE', `/containers/${ctx.record.plan.containerId}`, undefined, [204, 404]);
    },
    undo: null,
  },
  {
    name: 'drop-lease',
    onCrash: 'resume',
    async do(ctx) {
      for (const ds of ctx.record.plan.datasets) {
        await ctx.remote.release(ds, ctx.holdId);
        await dropIfOurs<LeaseValue>(ctx.store, moveKeys.lease(ds.name), ctx.record.id);
      }
      for (const ip of pinned(ctx)) await dropIfOurs<AddressClaim>(ctx.store, moveKeys.address(ip), ctx.record.id);
    },
    undo: null,
  },
];

/** The move's hold of a dataset on this host, at most once (Mount counts every call). */
async function holdOnce(holds: DatasetHolds, ds: { name: string; driver: string }, holdId: string): Promise<void> {
  await holds.release(ds, holdId);
  await holds.hold(ds, holdId);
}

function pinned(ctx: StepContext): string[] {
  return ctx.record.plan.endpoints.filter((e) => e.chained && e.ip).map((e) => e.ip);
}

async function dropIfOurs<T extends { moveId: string }>(store: CoordinationStore, key: string, moveId: string): Promise<void> {
  await updateEntry<T>(store, key, (cur) => (cur && cur.moveId === moveId ? null : undefined));
}

async function inspectState(client: EngineClient, id: string): Promise<{ Running: boolean } | null> {
  const r = await client.request<{ State: { Running: boolean } }>('GET', `/containers/${id}/json`);
  if (r.status === 404) return null;
  if (r.status !== 200) throw new Error(`inspect ${id.slice(0, 12)} on ${client.address.url}: HTTP ${r.status}`);
  return r.body.State;
}

async function waitRunning(client: EngineClient, id: string): Promise<void> {
  await waitFor(async () => (await inspectState(client, id))?.Running === true, 15_000, `container ${id.slice(0, 12)} did not stay running on ${client.address.url}`);
}

async function waitFor(cond: () => Promise<boolean>, timeoutMs: number, message: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((r) => setTimeout(r, 100));
  }
}
