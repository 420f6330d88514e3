/*
 * URI blocklist lookups: each registered domain a message links to is
 * asked of each configured zone as `<domain>.<zone>`, type A, side by
 * side, at most maxLookups queries per message (domains in the order the
 * message shows them, so the first links count). Answers are read as the
 * DNSBL filter reads them: 127.0.0.1 (multi.uribl.com's "query refused")
 * and 127.255.255.x (Spamhaus's "will not answer you") are could-not-tell,
 * like answers outside 127/8 and failed lookups; a zone with a mask lists
 * only when the last octet has one of its bits.
 *
 * Exports: UriHit, UriLookupResult, lookupUris, uriTestName.
 * Security: the domains are the sender's; the lookups are bounded in
 * number (MAX_URI_LOOKUPS whatever the settings) and each by the DNS
 * client's timeout; a lookup failure never fails the message.
 * Standards: RFC 5782 section 2.3 (domain-name-based lists).
 */
import type { DnsClient } from '../../dns/client.js';
import type { Logger } from '../../telemetry/logger.js';
import { readDnsblAnswer } from '../dnsbl/filter.js';
import { MAX_URI_LOOKUPS } from './limits.js';
import type { UriBlocklist } from './settings.js';
import { registeredDomain } from './urls.js';

export interface UriHit {
  /** The list that answered (its test name and score). */
  list: UriBlocklist;
  zone: string;
  domain: string;
  answer: string;
}

export interface UriLookupResult {
  hits: UriHit[];
  /** Lookups asked. */
  asked: number;
  /** Lookups whose answer could not tell (refused, rate-limited, failed). */
  couldNotTell: number;
}

/** The test name for a zone: its own, or URIBL_ and the zone in capitals. */
export function uriTestName(list: UriBlocklist): string {
  return list.name ?? `URIBL_${list.zone.replace(/\.$/, '').toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;
}

function listed(records: readonly string[], mask: number | undefined): string | undefined {
  return records.find((r) => readDnsblAnswer(r) === 'listed' && (mask === undefined || (Number(r.split('.')[3]) & mask) !== 0));
}

export async function lookupUris(hosts: readonly string[], lists: readonly UriBlocklist[], maxLookups: number, dns: DnsClient, log: Logger): Promise<UriLookupResult> {
  const bound = Math.max(0, Math.min(maxLookups, MAX_URI_LOOKUPS));
  const domains = [...new Set(hosts.map(registeredDomain).filter((d): d is string => d !== undefined))];
  const queries: { list: UriBlocklist; domain: string }[] = [];
  for (const domain of domains) {
    for (const list of lists) if (queries.length < bound) queries.push({ list, domain });
  }
  const result: UriLookupResult = { hits: [], asked: queries.length, couldNotTell: 0 };
  await Promise.all(queries.map(async ({ list, domain }) => {
    const zone = list.zone.replace(/\.$/, '').toLowerCase();
    const a = await dns.a(`${domain}.${zone}`);
    if (!a.ok) {
      if (a.kind === 'temporary') {
        result.couldNotTell++;
        log.info('uribl lookup failed', { zone, domain, detail: a.detail });
      }
      return;
    }
    const hit = listed(a.records, list.mask);
    if (hit !== undefined) result.hits.push({ list, zone, domain, answer: hit });
    else if (a.records.some((r) => readDnsblAnswer(r) === 'could-not-tell')) {
      result.couldNotTell++;
      log.info('uribl could not tell', { zone, domain, answer: a.records.join(',') });
    }
  }));
  if (domains.length * lists.length > queries.length) log.info('uribl lookups bounded', { domains: domains.length, asked: queries.length });
  return result;
}
