import { defineHook, type Hook } from '../../chain/hook.js';

/**
 * For plugchain packaged as a managed (v2) plugin in front of a legacy plugin: the upstream
 * answers host paths (`/srv/datasets/db1`), but dockerd resolves a v2 plugin's Mountpoint inside
 * the plugin, under its PropagatedMount. This hook rewrites the upstream's data directory prefix
 * to the directory the plugin mounts it at (`/mnt/volumes/db1`), on every answer that carries a
 * Mountpoint. Paths outside `from` are left alone (and dockerd will not find them).
 */
export function mountpointMapHook(from: string, to: string): Hook {
  const src = trimSlash(from);
  const dst = trimSlash(to);
  const map = (p: unknown): unknown => {
    if (typeof p !== 'string') return p;
    if (p === src) return dst;
    return p.startsWith(`${src}/`) ? dst + p.slice(src.length) : p;
  };
  return defineHook({
    name: 'mountpoint-map',
    side: 'plugin',
    operations: ['VolumeDriver.Mount', 'VolumeDriver.Path', 'VolumeDriver.Get', 'VolumeDriver.List'],
    needsResponse: true,
    post(ctx) {
      const r = ctx.response;
      if (!r || r.status !== 200 || typeof r.body !== 'object' || r.body === null) return;
      const body = r.body as { Mountpoint?: unknown; Volume?: { Mountpoint?: unknown } | null; Volumes?: Array<{ Mountpoint?: unknown }> | null };
      const out: Record<string, unknown> = { ...body };
      if (typeof body.Mountpoint === 'string') out.Mountpoint = map(body.Mountpoint);
      if (body.Volume && typeof body.Volume === 'object') out.Volume = { ...body.Volume, Mountpoint: map(body.Volume.Mountpoint) };
      if (Array.isArray(body.Volumes)) out.Volumes = body.Volumes.map((v) => (v && typeof v === 'object' && 'Mountpoint' in v ? { ...v, Mountpoint: map(v.Mountpoint) } : v));
      ctx.response = { ...r, body: out };
    },
  });
}

function trimSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}
