/** IPv4 arithmetic on unsigned 32-bit numbers; enough for pools, addresses and MACs. */
export interface Ipv4Prefix {
  /** Network address as a number. */
  base: number;
  bits: number;
}

export function parseIp(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) throw new Error(`not an IPv4 address: ${text}`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new Error(`not an IPv4 address: ${text}`);
    n = n * 256 + Number(p);
  }
  return n;
}

export function formatIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** Parses `10.0.0.0/24`; host bits must be zero unless `loose` (then they are cleared). */
export function parsePrefix(text: string, loose = false): Ipv4Prefix {
  const [ip, len] = text.split('/');
  const bits = Number(len);
  if (ip === undefined || len === undefined || !/^\d{1,2}$/.test(len) || bits > 32) throw new Error(`not an IPv4 CIDR: ${text}`);
  const addr = parseIp(ip);
  const base = addr - (addr % size(bits));
  if (base !== addr && !loose) throw new Error(`${text} has host bits set (network is ${formatIp(base)}/${bits})`);
  return { base, bits };
}

export function formatPrefix(p: Ipv4Prefix): string {
  return `${formatIp(p.base)}/${p.bits}`;
}

export function size(bits: number): number {
  return 2 ** (32 - bits);
}

export function contains(p: Ipv4Prefix, ip: number): boolean {
  return ip >= p.base && ip < p.base + size(p.bits);
}

export function overlaps(a: Ipv4Prefix, b: Ipv4Prefix): boolean {
  return a.base < b.base + size(b.bits) && b.base < a.base + size(a.bits);
}

/** Usable host addresses: all but network and broadcast (for /31 and /32, all). */
export function hostRange(p: Ipv4Prefix): { first: number; last: number } {
  const n = size(p.bits);
  return n <= 2 ? { first: p.base, last: p.base + n - 1 } : { first: p.base + 1, last: p.base + n - 2 };
}

/** `10.0.0.5` or `10.0.0.5/24` → the plain address. */
export function stripPrefix(text: string): string {
  return text.split('/')[0]!;
}

/** A locally administered unicast MAC derived from the address: 02:70:<4 address bytes>. */
export function macForIp(ip: number): string {
  const bytes = [0x02, 0x70, ...[24, 16, 8, 0].map((s) => Math.floor(ip / 2 ** s) % 256)];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
