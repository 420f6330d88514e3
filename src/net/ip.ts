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
