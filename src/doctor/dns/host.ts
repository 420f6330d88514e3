/*
 * The doctor's checks of the mail host's names and addresses (doctor.md
 * B01 to B03) and of the Spamhaus blocklists (A07, A08): the host name's
 * A/AAAA records are this server's public addresses (B01); each address
 * has a PTR record (B02) that resolves back to it and names the host
 * (B03, forward-confirmed reverse DNS, which many receivers require); no
 * address is on Spamhaus ZEN (A07) and no hosted domain on the DBL (A08).
 *
 * Spamhaus answers 127.255.255.x when it will not answer the question
 * (queries through a public resolver, too many queries, a mistyped
 * zone): that is "could not tell", never "listed". Non-public addresses
 * are not looked up in blocklists, and get B02/B03 only when the caller
 * allows private addresses (development zones on loopback, which can
 * serve their own reverse zone); the zones are options so tests can
 * point them at a test zone.
 *
 * Exports: hostAddressCheck, ipBlocklistCheck, domainBlocklistCheck,
 * HostCheckOptions, BlocklistOptions, SPAMHAUS_ZEN, SPAMHAUS_DBL.
 * Security: names and addresses come from the zone; addresses
 * (MAX_OWN_ADDRESSES, MAX_HOST_ADDRESSES) and PTR names
 * (MAX_RRSET_RECORDS) are bounded.
 * Standards: RFC 1912 section 2.1 (every address has a matching PTR),
 * RFC 5321 section 4.1.4 (the EHLO name), RFC 5782 (DNS blocklists:
 * reversed address, 127.0.0.x answers); Spamhaus's return codes
 * (https://docs.spamhaus.com, "return codes").
 * Interpretations: a special-use domain (RFC 6761: .test, .example,
 * .invalid, .localhost; and .local) is not asked of the DBL; an address of ours missing from A/AAAA is an error
 * for IPv4 and a warning for IPv6 (mail still arrives over IPv4); an
 * extra address is a warning; a PTR that is forward-confirmed but names
 * the HELO name rather than the host name is fine.
 */
import { isIPv4 } from 'node:net';
import { reverseName } from '../../dns/plan.js';
import { finding, type DoctorDeps, type DomainCheck, type Finding, type HostCheck, type HostFacts } from '../types.js';
import { nonPublicRange } from './addresses.js';
import { MAX_HOST_ADDRESSES, MAX_OWN_ADDRESSES, MAX_RRSET_RECORDS } from './limits.js';
import { bare, couldNotCheck, currently, DNS_DELAY } from './lookup.js';

export const SPAMHAUS_ZEN = 'zen.spamhaus.org';
export const SPAMHAUS_DBL = 'dbl.spamhaus.org';

export interface HostCheckOptions {
  /** Non-public addresses are checked (B02, B03) and only noted as non-public (development, loopback test zones). */
  allowPrivate?: boolean;
}

export interface BlocklistOptions {
  /** The zone to ask instead of Spamhaus's (a test zone). */
  zone?: string;
}

const ipSubject = (ip: string) => `ip ${ip}`;
const ownAddresses = (host: HostFacts) => [...host.ipv4, ...host.ipv6].slice(0, MAX_OWN_ADDRESSES);
const ptrAsk = (ip: string, hostname: string) => `Reverse DNS is set by whoever owns the address (your hosting provider's panel, or their support): ask them to set the PTR of ${ip} to ${hostname}.`;

/** B01: the host name's A/AAAA records are our addresses; `unpublished` collects ours that are not there. */
async function forward(host: HostFacts, deps: DoctorDeps, options: HostCheckOptions, unpublished: Set<string>): Promise<Finding[]> {
  const name = bare(host.hostname);
  const out: Finding[] = [];
  for (const [type, ours] of [['A', host.ipv4], ['AAAA', host.ipv6]] as const) {
    const answer = type === 'A' ? await deps.dns.a(name) : await deps.dns.aaaa(name);
    if (!answer.ok && answer.kind === 'temporary') {
      out.push(couldNotCheck('B01', name, `the host's ${type} records`, answer.detail));
      continue;
    }
    const published = answer.ok ? answer.records.slice(0, MAX_HOST_ADDRESSES) : [];
    const missing = ours.filter((ip) => !published.includes(ip));
    for (const ip of missing) unpublished.add(ip);
    const extra = published.filter((ip) => !ours.includes(ip));
    const seen = published.length > 0 ? published.join(', ') : `no ${type} record`;
    const should = ours.length > 0 ? ours.join(', ') : `no ${type} record`;
    if (missing.length > 0) {
      out.push(finding('B01', type === 'A' ? 'error' : 'warning', name, `the host's ${type} records do not include ${missing.join(', ')}`, seen, should,
        `${type === 'A' ? 'Senders cannot reach this server at its address.' : 'Mail still arrives over IPv4, but IPv6 senders cannot use this address.'} ${currently(seen, should)} ${DNS_DELAY}`));
    } else if (extra.length > 0) {
      out.push(finding('B01', 'warning', name, `the host's ${type} records list addresses that are not this server's (${extra.join(', ')})`, seen, should,
        `Senders may connect there. If they are this server's too, add them to [network] public_${type === 'A' ? 'ipv4' : 'ipv6'}; otherwise remove them. ${DNS_DELAY}`));
    }
  }
  const inner = ownAddresses(host).map((ip) => ({ ip, range: nonPublicRange(ip) })).filter((a) => a.range !== undefined);
  if (inner.length > 0) {
    const seen = inner.map((a) => `${a.ip} (${a.range})`).join(', ');
    out.push(options.allowPrivate
      ? finding('B01', 'info', name, 'the server\'s addresses are not public (allowed here)', seen, 'public addresses in production', 'Fine for development and tests.')
      : finding('B01', 'warning', name, 'the public address configured for this server is not a public address', seen, 'the address the Internet reaches this server at',
        'Set [network] public_ipv4 (and public_ipv6) to the public address that a NAT or container host maps port 25 to.'));
  }
  return out;
}

/** B02 and B03 for one address; a PTR naming the host is not reported again when B01 found the address missing from it. */
async function reverse(ip: string, host: HostFacts, deps: DoctorDeps, unpublished: Set<string>): Promise<Finding[]> {
  const hostname = bare(host.hostname);
  const ptr = await deps.query(reverseName(ip), 'PTR');
  if (!ptr.ok) {
    if (ptr.kind === 'temporary') return [couldNotCheck('B02', ipSubject(ip), `the reverse DNS of ${ip}`, ptr.detail)];
    return [finding('B02', 'error', ipSubject(ip), `${ip} has no reverse DNS (PTR)`, ptr.detail, `${reverseName(ip)} PTR ${hostname}.`,
      `Many receivers refuse or junk mail from an address without a PTR. ${ptrAsk(ip, hostname)}`)];
  }
  const names = [...new Set(ptr.records.slice(0, MAX_RRSET_RECORDS).map((n) => bare(String(n))))];
  const confirmed: string[] = [];
  for (const name of names) {
    const back = isIPv4(ip) ? await deps.dns.a(name) : await deps.dns.aaaa(name);
    if (!back.ok && back.kind === 'temporary') return [couldNotCheck('B03', ipSubject(ip), `whether ${name} resolves back to ${ip}`, back.detail)];
    if (back.ok && back.records.slice(0, MAX_HOST_ADDRESSES).includes(ip)) confirmed.push(name);
  }
  const seen = `PTR ${names.join(', ')}`;
  if (confirmed.length === 0 && names.includes(hostname) && unpublished.has(ip)) return [];
  if (confirmed.length === 0) {
    return [finding('B03', 'error', ipSubject(ip), `the reverse DNS of ${ip} does not resolve back to it`, `${seen}, which do${names.length === 1 ? 'es' : ''} not resolve to ${ip}`, `PTR ${hostname}, and ${hostname} A/AAAA ${ip}`,
      `Receivers check that the PTR name resolves back to the address (forward-confirmed reverse DNS) and treat mail as from an unknown host otherwise. ${currently(`"${seen}"`, `"PTR ${hostname}."`)} ${ptrAsk(ip, hostname)}`)];
  }
  if (!confirmed.includes(hostname) && !confirmed.includes(bare(host.heloName))) {
    return [finding('B03', 'warning', ipSubject(ip), `the reverse DNS of ${ip} names ${confirmed[0]}, not the mail host`, seen, `PTR ${hostname}`,
      `Receivers compare the PTR name with the EHLO name (${bare(host.heloName)}); a generic or other name looks like a dial-up or shared host. ${currently(`"${seen}"`, `"PTR ${hostname}."`)} ${ptrAsk(ip, hostname)}`)];
  }
  return [];
}

/** B01 to B03. */
export function hostAddressCheck(options: HostCheckOptions = {}): HostCheck {
  return async (host, deps) => {
    const unpublished = new Set<string>();
    const out = await forward(host, deps, options, unpublished);
    const ips = ownAddresses(host);
    if (ips.length === 0) {
      out.push(finding('B02', 'info', bare(host.hostname), 'reverse DNS was not checked: no public address is known', '[network] public_ipv4/public_ipv6 unset', 'the public addresses', 'Set [network] public_ipv4 (and public_ipv6) so the doctor can check them.'));
    }
    for (const ip of ips) {
      const range = nonPublicRange(ip);
      if (range && !options.allowPrivate) {
        out.push(finding('B02', 'info', ipSubject(ip), `reverse DNS of ${ip} not checked: it is not a public address`, `${ip}: ${range}`, 'a public address', 'Only a public address has reverse DNS that receivers can see.'));
        continue;
      }
      out.push(...(await reverse(ip, host, deps, unpublished)));
    }
    return out;
  };
}

/** What a blocklist answer means: listed (with Spamhaus's reason), or could not tell. */
function meaning(answer: string, codes: Record<string, string>): { listed: boolean; why: string } {
  if (answer.startsWith('127.255.255.')) {
    const why = { '252': 'the blocklist zone name is wrong', '254': 'Spamhaus does not answer queries through public or open resolvers', '255': 'too many queries from this resolver' }[answer.slice(12)];
    return { listed: false, why: why ?? 'an error code of the blocklist' };
  }
  const code = codes[answer];
  if (code) return { listed: true, why: code };
  if (answer.startsWith('127.')) return { listed: true, why: 'a listing code the doctor does not know' };
  return { listed: false, why: 'an answer outside 127.0.0.0/8, which no blocklist gives (a resolver rewriting NXDOMAIN?)' };
}

const ZEN_CODES: Record<string, string> = {
  '127.0.0.2': 'SBL (a known spam source)', '127.0.0.3': 'SBL CSS (snowshoe spam)', '127.0.0.4': 'XBL (an infected or exploited host)', '127.0.0.5': 'XBL', '127.0.0.6': 'XBL', '127.0.0.7': 'XBL',
  '127.0.0.9': 'DROP (a hijacked network)', '127.0.0.10': 'PBL (an end-user range, set by the ISP)', '127.0.0.11': 'PBL (an end-user range, set by Spamhaus)',
};
const DBL_CODES: Record<string, string> = {
  '127.0.1.2': 'spam domain', '127.0.1.4': 'phishing domain', '127.0.1.5': 'malware domain', '127.0.1.6': 'botnet C&C domain',
  '127.0.1.102': 'abused legitimate domain (spam)', '127.0.1.103': 'abused legitimate domain (redirector)', '127.0.1.104': 'abused legitimate domain (phishing)', '127.0.1.105': 'abused legitimate domain (malware)', '127.0.1.106': 'abused legitimate domain (botnet C&C)',
};

/** One blocklist question: findings for `subject`, asking `name` (already under the zone). */
async function listedAt(id: 'A07' | 'A08', subject: string, name: string, zone: string, codes: Record<string, string>, deps: DoctorDeps, delist: string): Promise<Finding[]> {
  const answer = await deps.dns.a(name);
  if (!answer.ok) return answer.kind === 'temporary' ? [couldNotCheck(id, subject, `whether ${subject} is on ${zone}`, answer.detail)] : [];
  const readings = answer.records.slice(0, MAX_HOST_ADDRESSES).map((a) => ({ a, ...meaning(a, codes) }));
  const listings = readings.filter((r) => r.listed);
  if (listings.length === 0) {
    return [finding(id, 'warning', subject, `could not tell whether ${subject} is on ${zone}`, readings.map((r) => `${r.a}: ${r.why}`).join('; '), 'NXDOMAIN (not listed) or a listing code',
      `The blocklist refused to answer, which says nothing about a listing. Use a resolver of your own (not a public one such as 8.8.8.8) in [dns] resolvers, or check at https://check.spamhaus.org.`)];
  }
  const seen = listings.map((r) => `${r.a}: ${r.why}`).join('; ');
  return [finding(id, 'error', subject, `${subject} is listed on ${zone}`, seen, 'not listed (NXDOMAIN)', `Receivers that use Spamhaus refuse mail ${id === 'A07' ? 'from this address' : 'naming this domain'}. ${delist}`)];
}

/** A07: our public addresses are not on ZEN. */
export function ipBlocklistCheck(options: BlocklistOptions = {}): HostCheck {
  const zone = bare(options.zone ?? SPAMHAUS_ZEN);
  return async (host, deps) => {
    const out: Finding[] = [];
    for (const ip of ownAddresses(host)) {
      if (nonPublicRange(ip)) continue;
      const name = `${reverseName(ip).replace(/\.(?:in-addr|ip6)\.arpa\.$/, '')}.${zone}`;
      out.push(...(await listedAt('A07', ipSubject(ip), name, zone, ZEN_CODES, deps,
        `Find the reason at https://check.spamhaus.org and follow its removal steps (for the PBL, a server with a static address can be removed; for XBL, clean the host first).`)));
    }
    return out;
  };
}

/** A08: the domain is not on the DBL. */
/** RFC 6761 and RFC 6762 special-use names: no blocklist lists them, and no public resolver answers for them. */
const SPECIAL_USE = /(^|\.)(test|example|invalid|localhost|local)$/;

export function domainBlocklistCheck(options: BlocklistOptions = {}): DomainCheck {
  const zone = bare(options.zone ?? SPAMHAUS_DBL);
  return async (facts, _host, deps) => (SPECIAL_USE.test(facts.domain) && !options.zone) ? [] : listedAt('A08', facts.domain, `${facts.domain}.${zone}`, zone, DBL_CODES, deps,
    'Find the reason at https://check.spamhaus.org, remove what caused it (a compromised site, a redirector, spam sent with the domain) and ask for removal there.');
}
