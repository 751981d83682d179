/**
 * Canonical-path rules. A path that dockerd's router might read differently from ours is refused,
 * never rewritten: a proxy that normalises `..` or `%2F` would check one resource and forward
 * another.
 */
export type PathVerdict = { ok: true } | { ok: false; reason: string };

const ENCODED_FORBIDDEN = /%(2f|5c|00|2e)/i;

export function checkCanonicalPath(path: string): PathVerdict {
  if (!path.startsWith('/')) return { ok: false, reason: 'path must start with "/"' };
  if (path.includes('//')) return { ok: false, reason: 'empty path segment ("//")' };
  if (path.includes('\\')) return { ok: false, reason: 'backslash in path' };
  for (const seg of path.split('/')) {
    if (seg === '.' || seg === '..') return { ok: false, reason: `dot segment "${seg}" in path` };
  }
  const enc = ENCODED_FORBIDDEN.exec(path);
  if (enc) return { ok: false, reason: `percent-encoded "${enc[0]}" in path` };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) return { ok: false, reason: 'control character in path' };
  return { ok: true };
}
