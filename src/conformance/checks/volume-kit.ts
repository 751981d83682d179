import type { CheckContext } from '../types.js';

/** A volume a check created; its clean-up unmounts what is still mounted, then removes it. */
export interface VolumeHandle {
  readonly name: string;
  /** One entry per successful Mount not yet unmounted (an ID may appear twice, P11). */
  readonly mounts: string[];
  removed: boolean;
}

export async function createVolume(ctx: CheckContext, suffix: string, opts: Record<string, string> = {}): Promise<VolumeHandle> {
  const v: VolumeHandle = { name: ctx.name(suffix), mounts: [], removed: false };
  await ctx.ok('VolumeDriver.Create', { Name: v.name, Opts: opts });
  ctx.defer(`remove volume ${v.name}`, async () => {
    for (const id of [...v.mounts]) await unmount(ctx, v, id);
    if (!v.removed) await ctx.ok('VolumeDriver.Remove', { Name: v.name });
  });
  return v;
}

/** Mount and return the Mountpoint as answered (may be "" or not a string: callers judge). */
export async function mount(ctx: CheckContext, v: VolumeHandle, id: string): Promise<unknown> {
  const body = await ctx.ok('VolumeDriver.Mount', { Name: v.name, ID: id });
  v.mounts.push(id);
  return body['Mountpoint'];
}

export async function unmount(ctx: CheckContext, v: VolumeHandle, id: string): Promise<void> {
  await ctx.ok('VolumeDriver.Unmount', { Name: v.name, ID: id });
  const i = v.mounts.indexOf(id);
  if (i >= 0) v.mounts.splice(i, 1);
}

export async function remove(ctx: CheckContext, v: VolumeHandle): Promise<void> {
  await ctx.ok('VolumeDriver.Remove', { Name: v.name });
  v.removed = true;
}

/** Path's Mountpoint, "" when absent. */
export async function path(ctx: CheckContext, v: VolumeHandle): Promise<unknown> {
  const body = await ctx.ok('VolumeDriver.Path', { Name: v.name });
  return body['Mountpoint'] ?? '';
}

export async function getVolume(ctx: CheckContext, name: string): Promise<Record<string, unknown> | null> {
  const body = await ctx.ok('VolumeDriver.Get', { Name: name });
  const vol = body['Volume'];
  return vol !== null && typeof vol === 'object' && !Array.isArray(vol) ? (vol as Record<string, unknown>) : null;
}

/** List's Volumes as answered (array, null, undefined or anything else). */
export async function listVolumes(ctx: CheckContext): Promise<unknown> {
  const body = await ctx.ok('VolumeDriver.List', {});
  return body['Volumes'];
}

export function mountId(ctx: CheckContext): string {
  return ctx.hexId();
}
