import { isIP } from 'node:net';

/**
 * The value formats dockerd parses plugin answers with (plugin-protocols.md P8, P16): Go's
 * net.ParseIP, net.ParseCIDR / netip.ParsePrefix, net.ParseMAC and time.Time's RFC 3339.
 */

/** `10.0.0.2/24` or `fd00::2/64` (Go net.ParseCIDR). */
export function isCidr(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  const slash = v.indexOf('/');
  if (slash < 0) return false;
  const ip = v.slice(0, slash);
  const bits = v.slice(slash + 1);
  const family = isIP(ip);
  if (family === 0 || !/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/** A bare address with no prefix (Go net.ParseIP). */
export function isPlainIp(v: unknown): v is string {
  return typeof v === 'string' && isIP(v) !== 0;
}

/** time.Time's JSON decoding: RFC 3339 with optional fraction (`""` fails, P8). */
export function isRfc3339(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(v);
  if (!m) return false;
  const [, , mo, d, h, mi, s] = m.map(Number) as number[];
  return mo! >= 1 && mo! <= 12 && d! >= 1 && d! <= 31 && h! <= 23 && mi! <= 59 && s! <= 60;
}

/** Go net.ParseMAC: six (or 8/20) hex octets separated by `:` or `-`. */
export function isMac(v: unknown): v is string {
  return typeof v === 'string' && /^[0-9a-f]{2}([:-][0-9a-f]{2}){5}(([:-][0-9a-f]{2}){2}|([:-][0-9a-f]{2}){14})?$/i.test(v);
}

/** IPv4 CIDR as [first, last] address numbers (IPv6 pools are not compared). */
export function ipv4Range(cidr: string): [number, number] | null {
  if (!isCidr(cidr) || isIP(cidr.split('/')[0]!) !== 4) return null;
  const [ip, bits] = cidr.split('/') as [string, string];
  const n = ipv4ToNumber(ip);
  const size = 2 ** (32 - Number(bits));
  const first = n - (n % size);
  return [first, first + size - 1];
}

export function ipv4ToNumber(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function numberToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export function cidrsOverlap(a: string, b: string): boolean {
  const ra = ipv4Range(a);
  const rb = ipv4Range(b);
  if (!ra || !rb) return a === b;
  return ra[0] <= rb[1] && rb[0] <= ra[1];
}

/** The address part of `10.0.0.2/24`. */
export function cidrAddress(cidr: string): string {
  return cidr.split('/')[0]!;
}
