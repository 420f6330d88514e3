/*
 * Where to deliver mail for a domain: the MX hosts to try, in order, with
 * the addresses of each, or why there are none, as the queue needs it
 * (a permanent failure bounces at once, a temporary one defers).
 *
 * Rules (RFC 5321 section 5.1, RFC 7505):
 * - MX records in preference order; records of equal preference in random
 *   order (spreading load as the RFC asks).
 * - No MX record (NODATA): the domain itself is the implicit MX, preference 0.
 * - A null MX (a single record with exchange ".") : no mail is accepted;
 *   bounce with 5.1.10 without connecting. A "." among real MX records is
 *   ignored.
 * - This host among the MX hosts (by name or by address): it and every MX
 *   of equal or lower preference are dropped; when none is left the mail
 *   loops back to us: 5.4.6.
 * - Each MX host's addresses: IPv6 first, then IPv4 (the order the client
 *   tries them). A host without addresses is skipped.
 * - The domain does not exist (NXDOMAIN), or no MX host has an address
 *   while every lookup answered: permanent, 5.4.4. Any lookup failing
 *   temporarily (SERVFAIL, timeout) where the result depends on it:
 *   temporary, 4.4.3; never bounce on a DNS outage.
 *
 * Exports: resolveRoute, addressesOf, Route, MxHost, SelfIdentity, MAX_MX_HOSTS,
 * MAX_ADDRESSES_PER_HOST.
 * Security: the domain comes from an envelope; the number of MX hosts and
 * addresses looked up and kept is bounded, so a hostile zone cannot make
 * one message cost unbounded lookups or connections.
 */
import type { DnsAnswer, DnsClient } from './client.js';

/** MX hosts looked up per domain (Postfix's smtp_mx_address_limit is 5 addresses; we keep a few more hosts). */
export const MAX_MX_HOSTS = 10;
/** Addresses kept per MX host. */
export const MAX_ADDRESSES_PER_HOST = 10;

export interface MxHost {
  name: string;
  preference: number;
  /** IPv6 first, then IPv4. */
  addresses: string[];
  /** Both address lookups were DNSSEC-validated (the AD bit): DANE may be used for this host (RFC 7672 section 2.2.2). */
  authenticated: boolean;
}

export type Route =
  /** authenticated: the MX answer (or its denial, for an implicit MX) was DNSSEC-validated. */
  | { kind: 'hosts'; hosts: MxHost[]; authenticated: boolean }
  | { kind: 'fail'; temporary: boolean; status: string; reason: string };

/** Who "this host" is: its names (the [server] hostname) and addresses (its listeners', its interfaces'). */
export interface SelfIdentity {
  names: ReadonlySet<string>;
  addresses: ReadonlySet<string>;
}

const canonical = (name: string) => name.toLowerCase().replace(/\.$/, '');

function temporary(reason: string): Route {
  return { kind: 'fail', temporary: true, status: '4.4.3', reason };
}

function permanent(status: string, reason: string): Route {
  return { kind: 'fail', temporary: false, status, reason };
}

/** Shuffles runs of equal preference in place (Fisher-Yates within each run). */
function shuffleEqual<T extends { preference: number }>(list: T[], random: () => number): T[] {
  for (let start = 0; start < list.length; ) {
    let end = start;
    while (end < list.length && list[end]!.preference === list[start]!.preference) end++;
    for (let i = end - 1; i > start; i--) {
      const j = start + Math.floor(random() * (i - start + 1));
      [list[i], list[j]] = [list[j]!, list[i]!];
    }
    start = end;
  }
  return list;
}

/**
 * A host's addresses (IPv6 first, then IPv4) and whether both lookups were
 * validated, or why it has none ('temporary' when a lookup failed, 'none'
 * when both answered empty).
 */
export async function addressesOf(dns: DnsClient, name: string): Promise<{ addresses: string[]; authenticated: boolean } | 'temporary' | 'none'> {
  const [v6, v4] = await Promise.all([dns.aaaa(name), dns.a(name)]);
  const records = (a: DnsAnswer<string>) => (a.ok ? a.records : []);
  const addresses = [...records(v6), ...records(v4)].slice(0, MAX_ADDRESSES_PER_HOST);
  if (addresses.length > 0) return { addresses, authenticated: v6.authenticated === true && v4.authenticated === true };
  const failed = (a: DnsAnswer<string>) => !a.ok && a.kind === 'temporary';
  return failed(v6) || failed(v4) ? 'temporary' : 'none';
}

/**
 * The MX hosts to try for domain (an ASCII name: A-labels), in order.
 * random is injectable so tests can fix the order of equal preferences.
 */
export async function resolveRoute(domain: string, dns: DnsClient, self: SelfIdentity, random: () => number = Math.random): Promise<Route> {
  const name = canonical(domain);
  const mx = await dns.mx(name);
  let candidates: { name: string; preference: number }[];
  if (mx.ok) {
    const real = mx.records.filter((r) => canonical(r.exchange) !== '');
    if (real.length === 0) return permanent('5.1.10', `${name} does not accept mail (null MX, RFC 7505)`);
    candidates = shuffleEqual(
      real.map((r) => ({ name: canonical(r.exchange), preference: r.priority })).sort((a, b) => a.preference - b.preference),
      random,
    );
  } else if (mx.kind === 'nodata') {
    candidates = [{ name, preference: 0 }];
  } else if (mx.kind === 'nxdomain') {
    return permanent('5.4.4', `${name} does not exist (NXDOMAIN)`);
  } else {
    return temporary(mx.detail);
  }
  candidates = candidates.slice(0, MAX_MX_HOSTS);

  const hosts: MxHost[] = [];
  let anyTemporary = false;
  let selfPreference = Infinity;
  for (const c of candidates) {
    if (c.preference >= selfPreference) break;
    if (self.names.has(c.name)) {
      selfPreference = c.preference;
      break;
    }
    const found = await addressesOf(dns, c.name);
    if (found === 'temporary') anyTemporary = true;
    else if (found !== 'none') {
      if (found.addresses.some((a) => self.addresses.has(a))) {
        selfPreference = c.preference;
        break;
      }
      hosts.push({ ...c, ...found });
    }
  }
  // Hosts of the same preference as this host, found before it, go too.
  const kept = hosts.filter((h) => h.preference < selfPreference);
  if (kept.length > 0) return { kind: 'hosts', hosts: kept, authenticated: mx.authenticated === true };
  // A better MX whose address lookup failed may still take the mail: that is not a loop yet.
  if (anyTemporary) return temporary(`no address for the MX hosts of ${name} yet: a lookup failed`);
  if (selfPreference !== Infinity) return permanent('5.4.6', `mail for ${name} loops back to this host (it is an MX for ${name} with the best preference)`);
  return permanent('5.4.4', mx.ok ? `no MX host of ${name} has an address` : `${name} has no MX and no address`);
}
