/*
 * Client addresses as access lists and limits see them: IPv4-mapped IPv6
 * (::ffff:192.0.2.1) becomes plain IPv4 before anything compares it, and
 * IPv6 clients are grouped by /64, since one host usually owns a whole one.
 *
 * Security: reads peer addresses from the socket (never from a header).
 */
import { isIPv4, isIPv6 } from 'node:net';

export function normalizeIp(address: string): string {
  const lower = address.toLowerCase();
  if (lower.startsWith('::ffff:') && isIPv4(lower.slice(7))) return lower.slice(7);
  return lower;
}

function expandIpv6(address: string): string[] {
  const [head, tail] = address.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((g) => g.padStart(4, '0'));
}

/** The key limits count under: the IPv4 address, or the IPv6 /64. */
export function clientKey(address: string): string {
  const ip = normalizeIp(address);
  if (isIPv6(ip)) return `${expandIpv6(ip).slice(0, 4).join(':')}::/64`;
  return ip;
}

export function isLoopback(address: string): boolean {
  const ip = normalizeIp(address);
  return ip === '::1' || (isIPv4(ip) && ip.startsWith('127.'));
}

function ipv4ToNumber(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function ipv6ToBigInt(ip: string): bigint {
  let groups = expandIpv6(ip);
  // An embedded IPv4 tail (::ffff:1.2.3.4) takes two groups.
  const last = groups[groups.length - 1]!;
  if (last.includes('.')) {
    const n = ipv4ToNumber(last);
    groups = [...expandIpv6(ip.slice(0, ip.lastIndexOf(':') + 1) + '0:0')];
    groups[6] = (n >>> 16).toString(16);
    groups[7] = (n & 0xffff).toString(16);
  }
  return groups.reduce((n, g) => (n << 16n) + BigInt(parseInt(g, 16)), 0n);
}

/** Is the address inside one of the networks ("192.0.2.0/24", "2001:db8::/32", or a bare address)? */
export function inNetworks(address: string, networks: readonly string[]): boolean {
  const ip = normalizeIp(address);
  for (const network of networks) {
    const [base = '', bitsText] = network.split('/');
    const v4 = isIPv4(ip);
    if (v4 !== isIPv4(base) || (!v4 && !isIPv6(base))) continue;
    const width = v4 ? 32 : 128;
    const bits = bitsText === undefined ? width : Number(bitsText);
    if (!Number.isInteger(bits) || bits < 0 || bits > width) continue;
    if (v4) {
      const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
      if (((ipv4ToNumber(ip) & mask) >>> 0) === ((ipv4ToNumber(base) & mask) >>> 0)) return true;
    } else {
      const shift = BigInt(128 - bits);
      if (ipv6ToBigInt(ip) >> shift === ipv6ToBigInt(base.toLowerCase()) >> shift) return true;
    }
  }
  return false;
}

/** A valid network in CIDR notation (or a bare address)? */
export function isNetwork(text: string): boolean {
  const [base = '', bits] = text.split('/');
  const width = isIPv4(base) ? 32 : isIPv6(base) ? 128 : 0;
  if (width === 0) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= width);
}
