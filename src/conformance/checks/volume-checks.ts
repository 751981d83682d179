import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { readAnswer } from '../answer-rules.js';
import type { Check, CheckContext } from '../types.js';
import { isRfc3339 } from '../wire-formats.js';
import { defineCheck, DIGEST } from './define-check.js';
import { createVolume, getVolume, listVolumes, mount, mountId, path, remove, unmount, type VolumeHandle } from './volume-kit.js';

const VOL = 'volume' as const;

/** How long an answer about a missing volume may take (P7: Get runs for every volume at daemon start). */
const QUICK_MS = 5_000;

function requireMountpoint(ctx: CheckContext, mp: unknown, step: string): string {
  if (typeof mp !== 'string' || mp === '') ctx.fail(`${step}: Mountpoint is ${JSON.stringify(mp)}`, 'a non-empty Mountpoint string');
  return mp;
}

const capabilities = defineCheck({
  id: 'volume.capabilities.scope',
  family: VOL,
  title: 'Capabilities answers Scope local or global',
  rule: 'VolumeDriver.Capabilities({}) succeeds with {"Capabilities": {"Scope": "local"|"global"}}; dockerd lower-cases Scope and treats a missing, empty or unknown value as local with a warning',
  source: `${DIGEST} §3.1 Capabilities.Scope / moby daemon/volume/drivers/adapter.go getCapabilities; cli-docs plugins_volume.md`,
  async run(ctx: CheckContext) {
    const body = await ctx.ok('VolumeDriver.Capabilities', {});
    const caps = body['Capabilities'];
    if (caps === undefined || caps === null) return ctx.note('no Capabilities object: dockerd assumes Scope local');
    if (typeof caps !== 'object' || Array.isArray(caps)) ctx.fail(`Capabilities is ${JSON.stringify(caps)}`, 'an object {"Scope": ...}');
    const scope = (caps as Record<string, unknown>)['Scope'];
    if (scope === undefined || scope === '') return ctx.note('Scope is missing or empty: dockerd assumes local');
    if (typeof scope !== 'string') ctx.fail(`Scope is ${JSON.stringify(scope)}; a non-string fails the whole decode`, '"local" or "global"');
    if (scope === 'local' || scope === 'global') return;
    if (['local', 'global'].includes(scope.toLowerCase())) return ctx.note(`Scope "${scope}" works only because dockerd lower-cases it; write "${scope.toLowerCase()}"`);
    ctx.fail(`Scope is "${scope}"; dockerd logs a warning and falls back to local`, '"local" or "global"');
  },
});

const lifecycle = defineCheck({
  id: 'volume.lifecycle',
  family: VOL,
  title: 'Create → Get → List → Path → Mount → Path → Unmount → Remove',
  rule: 'Each step of the lifecycle dockerd drives succeeds: Get finds the created volume, Path may be "" before Mount, Mount returns a non-empty Mountpoint and Path afterwards returns the same Mountpoint',
  source: `${DIGEST} §3.1 messages, §3.2 "Path before and after Mount", §9.1–9.4 call order / cli-docs plugins_volume.md / P10`,
  async run(ctx: CheckContext) {
    const v = await createVolume(ctx, 'life');
    if ((await getVolume(ctx, v.name)) === null) ctx.fail('Get of the volume just created answered no Volume', '{"Volume": {"Name": ...}}');
    await listVolumes(ctx);
    const before = await path(ctx, v);
    if (typeof before !== 'string') ctx.fail(`Path before Mount answered Mountpoint ${JSON.stringify(before)}`, 'a string ("" allowed before Mount)');
    const mp = requireMountpoint(ctx, await mount(ctx, v, mountId(ctx)), 'Mount');
    const after = await path(ctx, v);
    if (after !== mp) ctx.fail(`Path after Mount answered ${JSON.stringify(after)}, Mount answered ${JSON.stringify(mp)}`, `Path returns the Mountpoint of the active mount (${mp})`);
    await unmount(ctx, v, v.mounts[0]!);
    await remove(ctx, v);
  },
});

const createExisting = defineCheck({
  id: 'volume.create.existing',
  family: VOL,
  title: 'Create of an existing name succeeds',
  rule: 'Create is idempotent: creating a name that already exists succeeds (dockerd normally guards Create with Get, but retries after a failed Get)',
  source: `${DIGEST} §3.2 "Create is normally guarded by Get" / moby daemon/volume/service/store.go create / P12`,
  async run(ctx: CheckContext) {
    const v = await createVolume(ctx, 'twice');
    await ctx.ok('VolumeDriver.Create', { Name: v.name, Opts: {} });
  },
});

/** A missing-volume answer: an error or no Volume, quickly, and as JSON (a crash is not an answer). */
async function askAboutMissing(ctx: CheckContext, method: 'VolumeDriver.Get' | 'VolumeDriver.Remove'): Promise<{ kind: 'success' | 'error'; json: unknown }> {
  const ex = await ctx.call(method, { Name: ctx.name('missing') });
  const a = readAnswer(ex);
  if (a.kind === 'broken') ctx.fail(`${method} of a missing name: ${a.problem}`, 'a JSON answer: {"Err": "..."} or (Get) {"Volume": null}');
  if (ex.json === undefined) ctx.fail(`${method} of a missing name answered HTTP ${ex.status} with ${ex.parseError}; that is a crash, not an answer`, 'a JSON body ({"Err": "..."})');
  if (ex.durationMs > Math.min(QUICK_MS, ctx.timeoutMs)) ctx.fail(`${method} of a missing name took ${ex.durationMs} ms`, `an answer within ${QUICK_MS} ms`);
  return { kind: a.kind, json: ex.json };
}

const getMissing = defineCheck({
  id: 'volume.get.missing',
  family: VOL,
  title: 'Get of a missing name answers "no such volume" quickly',
  rule: 'Get of a name the plugin never created answers quickly with Err, {"Volume": null} or {} (dockerd probes every driver with Get for unknown names and calls Get for each volume at start); it must not claim the volume nor crash',
  source: `${DIGEST} §3.1 "Get of a missing volume", §3.2 / moby daemon/volume/service/store.go lookupVolume, restore.go; integration-cli TestExternalVolumeDriverGetEmptyResponse / P7`,
  async run(ctx: CheckContext) {
    const answer = await askAboutMissing(ctx, 'VolumeDriver.Get');
    if (answer.kind === 'success') {
      const vol = (answer.json as Record<string, unknown> | null)?.['Volume'];
      if (vol !== undefined && vol !== null) ctx.fail('Get of a never-created name answered a Volume; dockerd would attach that name to this driver', '{"Err": "..."} or {"Volume": null}');
    }
  },
});

const removeMissing = defineCheck({
  id: 'volume.remove.missing',
  family: VOL,
  title: 'Remove of a missing name answers cleanly',
  rule: 'Remove of a missing name answers quickly, preferably with success (idempotent), otherwise with a JSON error; it must not crash',
  source: `${DIGEST} §3.2 "Remove is normally guarded by Get" / moby integration-cli external volume driver test plugin (Remove of missing succeeds) / P12`,
  async run(ctx: CheckContext) {
    if ((await askAboutMissing(ctx, 'VolumeDriver.Remove')).kind === 'error') ctx.note('answered an error; dockerd tolerates it (it checks with Get first) but success is recommended');
  },
});

const nameEcho = defineCheck({
  id: 'volume.name.echo',
  family: VOL,
  title: 'Get and List return the exact Name',
  rule: 'Get and List return the volume under exactly the name it was created with (dockerd uses the returned Name)',
  source: `${DIGEST} §3.1 Volume.Name / moby daemon/volume/drivers/adapter.go (name: v.Name) / P9`,
  async run(ctx: CheckContext) {
    const v = await createVolume(ctx, 'echo');
    const got = await getVolume(ctx, v.name);
    if (got === null) ctx.fail('Get of the volume just created answered no Volume', `{"Volume": {"Name": "${v.name}"}}`);
    if (got['Name'] !== v.name) ctx.fail(`Get answered Name ${JSON.stringify(got['Name'])}`, `Name "${v.name}"`);
    const vols = await listVolumes(ctx);
    if (!Array.isArray(vols)) return ctx.note(`List's Volumes is ${JSON.stringify(vols)}; List part not judged here (see volume.list.shape)`);
    const names = vols.map((x) => (x as Record<string, unknown> | null)?.['Name']);
    if (!names.includes(v.name)) {
      const near = names.find((n) => typeof n === 'string' && n.toLowerCase().includes(v.name.toLowerCase()));
      ctx.fail(`List does not contain "${v.name}"${near ? ` (closest: "${String(near)}")` : ''}`, `an entry {"Name": "${v.name}"}`);
    }
  },
});

const createdAt = defineCheck({
  id: 'volume.created-at',
  family: VOL,
  title: 'CreatedAt is RFC 3339 or absent',
  rule: 'Volume.CreatedAt in Get and List is absent or an RFC 3339 timestamp; "" or any other text fails the whole Get/List decode in dockerd (Go time.Time)',
  source: `${DIGEST} §3.1 Volume table / moby daemon/volume/drivers/adapter.go proxyVolume; go-plugins-helpers issue #108; docker-lvm-plugin issue #55 / P8`,
  async run(ctx: CheckContext) {
    const v = await createVolume(ctx, 'created');
    const seen: Array<{ where: string; value: unknown }> = [];
    const got = await getVolume(ctx, v.name);
    if (got && 'CreatedAt' in got) seen.push({ where: 'Get', value: got['CreatedAt'] });
    const vols = await listVolumes(ctx);
    if (Array.isArray(vols)) {
      for (const e of vols) {
        if (e && typeof e === 'object' && 'CreatedAt' in e) seen.push({ where: `List entry ${JSON.stringify((e as Record<string, unknown>)['Name'])}`, value: (e as Record<string, unknown>)['CreatedAt'] });
      }
    }
    const bad = seen.filter((s) => !isRfc3339(s.value));
    if (bad.length > 0) ctx.fail(bad.map((b) => `${b.where}: CreatedAt ${JSON.stringify(b.value)}`).join('; '), 'CreatedAt absent or RFC 3339, e.g. "2026-01-02T15:04:05Z"');
    if (seen.length === 0) ctx.note('the plugin sends no CreatedAt (allowed)');
  },
});

const listShape = defineCheck({
  id: 'volume.list.shape',
  family: VOL,
  title: 'List answers a Volumes array',
  rule: 'List({}) succeeds with {"Volumes": [ {"Name": ...}, ... ]}; null is tolerated by dockerd, an error for an empty list breaks `docker volume ls`, and any other type fails the decode',
  source: `${DIGEST} §3.1 List / moby daemon/volume/drivers/adapter.go List; rexray PR #322 / P13`,
  async run(ctx: CheckContext) {
    const vols = await listVolumes(ctx);
    if (vols === null || vols === undefined) return ctx.note(`Volumes is ${vols === null ? 'null' : 'absent'}: dockerd tolerates it, [] is clearer`);
    if (!Array.isArray(vols)) ctx.fail(`Volumes is ${JSON.stringify(vols)}`, 'an array of {"Name": string, ...}');
    const bad = vols.filter((x) => x === null || typeof x !== 'object' || typeof (x as Record<string, unknown>)['Name'] !== 'string');
    if (bad.length > 0) ctx.fail(`List entries without a string Name: ${JSON.stringify(bad.slice(0, 3))}`, 'each entry {"Name": string, ...}');
  },
});

const mountpoint = defineCheck({
  id: 'volume.mountpoint',
  family: VOL,
  title: 'Mountpoint is absolute (and exists, for a local plugin)',
  rule: 'Mount returns a non-empty absolute Mountpoint without ".." segments; for a plugin on this host the directory exists (v2 plugins: it must lie under PropagatedMount)',
  source: `${DIGEST} §3.1 Mountpoint notes / moby daemon/volume/drivers/adapter.go Mount, daemon/pkg/plugin/v2/plugin.go ScopedPath; moby issue #33378 / P10`,
  async run(ctx: CheckContext) {
    const v = await createVolume(ctx, 'mp');
    const mp = requireMountpoint(ctx, await mount(ctx, v, mountId(ctx)), 'Mount');
    if (!isAbsolute(mp)) ctx.fail(`Mountpoint "${mp}" is not absolute`, 'an absolute path');
    if (mp.split('/').includes('..')) ctx.fail(`Mountpoint "${mp}" contains ".."`, 'a path without ".." segments');
    if (!ctx.localPaths) return ctx.note('plugin is not local (--remote): existence not checked');
    let isDir = false;
    try {
      isDir = statSync(mp).isDirectory();
    } catch (err) {
      ctx.fail(`Mountpoint "${mp}" does not exist here (${(err as NodeJS.ErrnoException).code})`, 'an existing directory while mounted');
    }
    if (!isDir) ctx.fail(`Mountpoint "${mp}" is not a directory`, 'an existing directory while mounted');
  },
});

const twoIds = defineCheck({
  id: 'volume.mount.two-ids',
  family: VOL,
  title: 'Unmount of one ID keeps the mount held by another',
  rule: 'Mount(A), Mount(B), Unmount(A): the volume stays mounted for B (Path still answers the Mountpoint, which still exists); only the last Unmount may unmount',
  source: `${DIGEST} §3.2 "Mount/Unmount pairing and refcount" / cli-docs plugins_volume.md; integration-cli TestExternalVolumeDriverVolumesFrom / P11`,
  async run(ctx: CheckContext) {
    const v = await createVolume(ctx, 'twoids');
    const [a, b] = [mountId(ctx), mountId(ctx)];
    const mp = requireMountpoint(ctx, await mount(ctx, v, a), 'Mount(A)');
    const mp2 = await mount(ctx, v, b);
    if (mp2 !== mp) ctx.note(`Mount(B) answered another Mountpoint (${JSON.stringify(mp2)})`);
    await unmount(ctx, v, a);
    await expectStillMounted(ctx, v, mp, 'after Unmount(A) while B holds it');
    await unmount(ctx, v, b);
  },
});

const sameIdTwice = defineCheck({
  id: 'volume.mount.same-id-twice',
  family: VOL,
  title: 'The same ID mounted twice needs two Unmounts',
  rule: 'Refcounts are per (Name, ID) occurrence: Mount(A), Mount(A), Unmount(A) leaves the volume mounted (docker cp on a running container re-mounts with the same ID)',
  source: `${DIGEST} §3.2 "docker cp" bullet / moby integration-cli TestExternalVolumeDriverUnmountOnCp; moby issue #35120; daemon/containerfs_linux.go / P11`,
  async run(ctx: CheckContext) {
    const v = await createVolume(ctx, 'sameid');
    const a = mountId(ctx);
    const mp = requireMountpoint(ctx, await mount(ctx, v, a), 'Mount(A)');
    await mount(ctx, v, a);
    await unmount(ctx, v, a);
    await expectStillMounted(ctx, v, mp, 'after one Unmount(A) of two Mount(A)');
    await unmount(ctx, v, a);
  },
});

async function expectStillMounted(ctx: CheckContext, v: VolumeHandle, mp: string, when: string): Promise<void> {
  const now = await path(ctx, v);
  if (now !== mp) ctx.fail(`Path ${when} answered ${JSON.stringify(now)}: the mount was dropped`, `Path still answers "${mp}"`);
  if (ctx.localPaths && isAbsolute(mp)) {
    try {
      statSync(mp);
    } catch {
      ctx.fail(`Mountpoint "${mp}" vanished ${when}`, 'the Mountpoint still exists');
    }
  }
}

const CONCURRENT = 4;

const concurrent = defineCheck({
  id: 'volume.mount.concurrent',
  family: VOL,
  title: `${CONCURRENT} concurrent Mounts of different volumes`,
  rule: 'Mounts of different volumes sent at the same time (several containers starting) all succeed within the timeout, each with its own Mountpoint',
  source: `${DIGEST} §1.5 (Mount gets 2 min) and §9.2 / DESIGN.md §7 "concurrency"`,
  async run(ctx: CheckContext) {
    const vols: VolumeHandle[] = [];
    for (let i = 0; i < CONCURRENT; i++) vols.push(await createVolume(ctx, `conc${i}`));
    // allSettled: every Mount must have landed before a failure triggers the clean-up.
    const settled = await Promise.allSettled(vols.map((v) => mount(ctx, v, mountId(ctx))));
    const rejected = settled.find((r) => r.status === 'rejected');
    if (rejected) throw rejected.reason;
    const mps = settled.map((r, i) => requireMountpoint(ctx, (r as PromiseFulfilledResult<unknown>).value, `Mount(${vols[i]!.name})`));
    const distinct = new Set(mps);
    if (distinct.size !== mps.length) ctx.fail(`different volumes share a Mountpoint: ${JSON.stringify(mps)}`, 'one Mountpoint per volume');
    await Promise.all(vols.map((v) => unmount(ctx, v, v.mounts[0]!)));
  },
});

export const VOLUME_CHECKS: readonly Check[] = [
  capabilities, lifecycle, createExisting, getMissing, removeMissing, nameEcho, createdAt, listShape, mountpoint, twoIds, sameIdTwice, concurrent,
];
