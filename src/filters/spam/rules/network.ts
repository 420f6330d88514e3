/*
 * Rules over what lists say about the client and the links: each DNSBL
 * zone that lists the client (the DNSBL filter's facts), each URI
 * blocklist that lists a linked domain (uribl.ts), and links to bare IP
 * addresses, which legitimate senders do not write.
 *
 * Exports: NETWORK_RULES, NETWORK_FAMILIES, dnsblTestName.
 * Security: zones are the operator's, answers were read by the lookups.
 * Standards: RFC 5782.
 */
import { uriTestName } from '../uribl.js';
import { isIpHost } from '../urls.js';
import type { Hit, Rule, RuleFamily } from './types.js';

/** RCVD_IN_ and the zone in capitals: zen.spamhaus.org gives RCVD_IN_ZEN_SPAMHAUS_ORG. */
export function dnsblTestName(zone: string): string {
  return `RCVD_IN_${zone.replace(/\.$/, '').toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;
}

export const NETWORK_RULES: Rule[] = [
  { name: 'NUMERIC_HTTP_ADDR', score: 1.0, description: 'Links to a bare IP address', test: ({ evidence }) => evidence.hosts.some(isIpHost) },
];

export const NETWORK_FAMILIES: RuleFamily[] = [
  {
    prefix: 'RCVD_IN_',
    description: 'A DNSBL zone lists the client\'s address',
    hits: ({ facts, settings }) => [...new Set((facts.dnsbl ?? []).map((l) => l.zone))].map((zone) => ({ name: dnsblTestName(zone), score: settings.dnsblScore })),
  },
  {
    prefix: 'URIBL_',
    description: 'A URI blocklist lists a domain the message links to (once per list)',
    hits: ({ evidence }) => {
      const seen = new Map<string, Hit>();
      for (const h of evidence.uribl?.hits ?? []) seen.set(uriTestName(h.list), { name: uriTestName(h.list), score: h.list.score });
      return [...seen.values()];
    },
  },
];
