import { isIPv4, isIPv6 } from 'node:net';
import type { Ajv2020 } from 'ajv/dist/2020.js';

/**
 * Address formats the plugin protocols use, checked the way dockerd parses them (Go `net.ParseIP`,
 * `net.ParseCIDR`, `net.ParseMAC`). ajv-formats' `ipv4`/`ipv6` stay available; these add the CIDR
 * forms and a family-agnostic `ip`. Zones (`fe80::1%eth0`) are refused: Go rejects them too.
 */
export const ADDRESS_FORMATS: Readonly<Record<string, (s: string) => boolean>> = Object.freeze({
  ip: (s: string) => isPlainIp(s, 0),
  cidr: (s: string) => isCidr(s, 0),
  cidr4: (s: string) => isCidr(s, 4),
  cidr6: (s: string) => isCidr(s, 6),
  mac: isMac,
});

export function addAddressFormats(ajv: Ajv2020): void {
  for (const [name, validate] of Object.entries(ADDRESS_FORMATS)) ajv.addFormat(name, { type: 'string', validate });
}

function isPlainIp(s: string, family: 0 | 4 | 6): boolean {
  if (s.includes('%')) return false;
  if (family === 4) return isIPv4(s);
  if (family === 6) return isIPv6(s);
  return isIPv4(s) || isIPv6(s);
}

function isCidr(s: string, family: 0 | 4 | 6): boolean {
  const slash = s.lastIndexOf('/');
  if (slash <= 0) return false;
  const ip = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(bits)) return false;
  const n = Number(bits);
  if (isPlainIp(ip, 4)) return family !== 6 && n <= 32;
  if (isPlainIp(ip, 6)) return family !== 4 && n <= 128;
  return false;
}

/** Go `net.ParseMAC`: 6, 8 or 20 octets as `aa:bb:…` / `aa-bb-…`, or dotted `aabb.ccdd.eeff`. */
function isMac(s: string): boolean {
  const colon = s.split(/[:-]/);
  if (colon.length > 1) {
    const sep = s.includes(':') ? ':' : '-';
    if (s.includes(':') && s.includes('-')) return false;
    return [6, 8, 20].includes(colon.length) && s.split(sep).every((g) => /^[0-9A-Fa-f]{2}$/.test(g));
  }
  const dotted = s.split('.');
  return [3, 4, 10].includes(dotted.length) && dotted.every((g) => /^[0-9A-Fa-f]{4}$/.test(g));
}
