/*
 * The addresses the Internet reaches this host at: [network] public_ipv4
 * and public_ipv6, or, when those are empty, the addresses of this host's
 * interfaces that are public (not loopback, private, link-local, CGNAT,
 * unique-local or documentation ranges).
 *
 * Exports: publicAddresses, isPublicAddress, acmeIssuer.
 * Security: configuration and the local interface list.
 */
import { networkInterfaces } from 'node:os';
import type { Config } from '../config/schema.js';
import { inNetworks } from '../net/ip.js';

const NOT_PUBLIC = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24', '192.0.2.0/24',
  '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4',
  '::/128', '::1/128', 'fc00::/7', 'fe80::/10', '2001:db8::/32', 'ff00::/8',
];

export function isPublicAddress(ip: string): boolean {
  return !inNetworks(ip, NOT_PUBLIC);
}

export function publicAddresses(config: Config): { ipv4: string[]; ipv6: string[] } {
  const n = config.network;
  if (n.public_ipv4.length + n.public_ipv6.length > 0) return { ipv4: [...n.public_ipv4], ipv6: [...n.public_ipv6] };
  const ipv4: string[] = [];
  const ipv6: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) {
      if (!isPublicAddress(i.address)) continue;
      (i.family === 'IPv4' ? ipv4 : ipv6).push(i.address);
    }
  }
  return { ipv4, ipv6 };
}

/** The CAA issuer domain of the ACME CA, when ACME is on (letsencrypt.org for Let's Encrypt). */
export function acmeIssuer(config: Config): string | undefined {
  if (!config.acme.enabled) return undefined;
  const host = new URL(config.acme.directory_url).hostname;
  if (/(^|\.)letsencrypt\.org$/.test(host)) return 'letsencrypt.org';
  if (/(^|\.)zerossl\.com$/.test(host)) return 'sectigo.com';
  if (/(^|\.)pki\.goog$/.test(host)) return 'pki.goog';
  return host.split('.').slice(-2).join('.');
}
