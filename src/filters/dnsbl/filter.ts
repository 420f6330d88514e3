/*
 * DNSBL checks of the client's address (issue 6, "Connection-level"):
 * at connect, the address is looked up in each configured zone (RFC 5782:
 * the reversed address, or the IPv6 nibbles, under the zone, type A);
 * listings are published as facts (the spam scorer reads them) and, with
 * action "reject", refuse each RCPT with 554 5.7.1 naming the zone, as
 * Postfix's reject_rbl_client does, except mail to postmaster@ (RFC 5321
 * section 4.5.1), so a listed sender can still reach someone.
 *
 * Answers: 127.0.0.2 to 127.255.255.254 mean listed, except 127.255.255.x,
 * which Spamhaus and others use for "I will not answer you" (a public
 * resolver, a query limit, an unregistered user): could not tell, logged,
 * never listed; answers outside 127/8 (a wildcarding resolver) likewise.
 * A lookup that fails is could not tell, too: a blocklist outage must not
 * stop mail. Loopback, private and trusted_networks clients are not asked.
 *
 * Exports: dnsblFilter, DnsblSettings, DEFAULT_DNSBL_SETTINGS, readDnsblAnswer.
 * Security: the client's address is ours to know (the socket), not the
 * client's to say; zones are the operator's; answers are read as above.
 * At most MAX_ZONES zones are asked, side by side, each bounded by the DNS
 * client's timeout.
 * Standards: RFC 5782 (DNS blacklists), RFC 5321 section 4.5.1.
 */
import { isIP } from 'node:net';
import type { DnsClient } from '../../dns/client.js';
import { reverseName } from '../../dns/plan.js';
import { nonPublicRange } from '../../doctor/dns/addresses.js';
import { CONTINUE, reject, type Filter, type StageResult } from '../types.js';

/** More zones than this is a configuration mistake, and each costs a lookup per connection. */
const MAX_ZONES = 10;

export interface DnsblSettings {
  /** Zones to ask, e.g. ["zen.spamhaus.org"]; empty: no DNSBL check. */
  zones: string[];
  /** "reject": refuse RCPT (554 5.7.1) when listed; "score": only tell the spam scorer. */
  action: 'reject' | 'score';
}

export const DEFAULT_DNSBL_SETTINGS: DnsblSettings = { zones: [], action: 'reject' };

/** What one A answer means. */
export function readDnsblAnswer(answer: string): 'listed' | 'could-not-tell' {
  if (!answer.startsWith('127.') || answer.startsWith('127.255.255.') || answer === '127.0.0.1') return 'could-not-tell';
  return 'listed';
}

export function dnsblFilter(settings: DnsblSettings, dns: DnsClient): Filter {
  const zones = settings.zones.slice(0, MAX_ZONES).map((z) => z.replace(/\.$/, '').toLowerCase());
  return {
    name: 'dnsbl',
    async connect(client, log): Promise<StageResult> {
      if (zones.length === 0 || client.trusted || isIP(client.ip) === 0 || nonPublicRange(client.ip)) return CONTINUE;
      const base = reverseName(client.ip).replace(/\.(in-addr|ip6)\.arpa\.$/, '');
      const listed: { zone: string; answer: string }[] = [];
      await Promise.all(zones.map(async (zone) => {
        const a = await dns.a(`${base}.${zone}`);
        if (!a.ok) {
          if (a.kind === 'temporary') log.info('dnsbl lookup failed', { zone, client: client.ip, detail: a.detail });
          return;
        }
        const hit = a.records.find((r) => readDnsblAnswer(r) === 'listed');
        if (hit) listed.push({ zone, answer: hit });
        else log.info('dnsbl could not tell', { zone, client: client.ip, answer: a.records.join(',') });
      }));
      if (listed.length > 0) log.info('dnsbl listed', { client: client.ip, zones: listed.map((l) => `${l.zone}=${l.answer}`).join(',') });
      return { ...CONTINUE, facts: { dnsbl: listed } };
    },
    begin(ctx) {
      return {
        async rcpt(recipient) {
          const listed = ctx.facts.dnsbl ?? [];
          if (settings.action !== 'reject' || listed.length === 0) return CONTINUE;
          if (recipient.address.toLowerCase().startsWith('postmaster@')) return CONTINUE;
          const zone = listed[0]!.zone;
          return reject(554, '5.7.1', `Service unavailable; client host [${ctx.client.ip}] blocked using ${zone}`, 'dnsbl', `answer=${listed[0]!.answer}`);
        },
      };
    },
  };
}
