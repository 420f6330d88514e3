/*
 * Whether an address can receive mail from the Internet (C04): the ranges
 * that are not globally reachable, each with the name an operator knows
 * it by (RFC 1918, loopback, link-local, carrier-grade NAT, Docker's
 * networks, unique local IPv6, documentation...). Pure.
 *
 * Exports: nonPublicRange.
 * Security: none; the address comes from the zone and is only compared.
 * Standards: RFC 6890 and the IANA special-purpose address registries
 * (RFC 1918, 6598, 3927, 5737, 2544, 4193, 4291, 3849, 6666).
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

const V4: [string, number, string][] = [
  ['0.0.0.0', 8, '"this network" (0.0.0.0/8)'],
  ['10.0.0.0', 8, 'private (RFC 1918, 10.0.0.0/8)'],
  ['100.64.0.0', 10, 'carrier-grade NAT (RFC 6598, 100.64.0.0/10)'],
  ['127.0.0.0', 8, 'loopback (127.0.0.0/8)'],
  ['169.254.0.0', 16, 'link-local (169.254.0.0/16)'],
  ['172.17.0.0', 16, "Docker's default bridge network (172.17.0.0/16, private under RFC 1918)"],
  ['172.16.0.0', 12, "private (RFC 1918, 172.16.0.0/12, where Docker's networks live)"],
  ['192.0.0.0', 24, 'IETF protocol assignments (192.0.0.0/24)'],
  ['192.0.2.0', 24, 'documentation (TEST-NET-1, 192.0.2.0/24)'],
  ['192.168.0.0', 16, 'private (RFC 1918, 192.168.0.0/16)'],
  ['198.18.0.0', 15, 'benchmarking (RFC 2544, 198.18.0.0/15)'],
  ['198.51.100.0', 24, 'documentation (TEST-NET-2, 198.51.100.0/24)'],
  ['203.0.113.0', 24, 'documentation (TEST-NET-3, 203.0.113.0/24)'],
  ['224.0.0.0', 4, 'multicast (224.0.0.0/4)'],
  ['240.0.0.0', 4, 'reserved (240.0.0.0/4)'],
];

const V6: [string, number, string][] = [
  ['::', 128, 'unspecified (::)'],
  ['::1', 128, 'loopback (::1)'],
  ['100::', 64, 'discard-only (RFC 6666, 100::/64)'],
  ['2001:db8::', 32, 'documentation (RFC 3849, 2001:db8::/32)'],
  ['fc00::', 7, 'unique local (RFC 4193, fc00::/7)'],
  ['fe80::', 10, 'link-local (fe80::/10)'],
  ['ff00::', 8, 'multicast (ff00::/8)'],
];

const ranges = [
  ...V4.map(([net, prefix, name]) => ({ family: 'ipv4' as const, name, list: block(net, prefix, 'ipv4') })),
  ...V6.map(([net, prefix, name]) => ({ family: 'ipv6' as const, name, list: block(net, prefix, 'ipv6') })),
];

function block(net: string, prefix: number, family: 'ipv4' | 'ipv6'): BlockList {
  const list = new BlockList();
  list.addSubnet(net, prefix, family);
  return list;
}

/** The name of the non-public range the address is in, or undefined for a public address (or a string that is no address). */
export function nonPublicRange(ip: string): string | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return nonPublicRange(mapped[1]!);
  const family = isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : undefined;
  if (!family) return undefined;
  return ranges.find((r) => r.family === family && r.list.check(ip, family))?.name;
}
