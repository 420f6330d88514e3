/*
 * What the doctor reports and what its checks are given.
 *
 * A finding is one thing the operator should know: an id from
 * ../shared/specs/doctor.md (A01 to K02), a severity, what was seen, what
 * was expected, and the fix in a sentence or two, worded so the operator
 * can act at once ("It is currently set to X but should be Y."). A check
 * is a function from the facts about one domain (or the host) and the
 * injected edges (DNS, HTTPS, TLS and SMTP probes, the clock) to findings;
 * nothing in a check reads configuration, the store or the network other
 * than through what it is given.
 *
 * Exports: Finding, Severity, DomainFacts, HostFacts, DoctorDeps, DnsQuery,
 * DomainCheck, HostCheck, finding.
 * Security: none; the doctor reads public DNS and the server's own ports.
 */
import type { DnsAnswer, DnsClient } from '../dns/client.js';
import type { QueryType, RecordData } from '../dns/wire-codec.js';
import type { MtaStsPolicyFetcher } from '../sender-auth/mta-sts.js';

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  /** The check's id from doctor.md, such as D03. */
  id: string;
  severity: Severity;
  /** What the finding is about: a domain, a host name, "ip 192.0.2.1", "port 587 (submission)". */
  subject: string;
  /** One line: what is wrong (or, for info, what is so). */
  title: string;
  /** What was seen, quoted where it is a value ("v=spf1 mx-all"). */
  seen: string;
  /** What should be there. */
  expected: string;
  /** What to do, in a sentence or two. */
  fix: string;
}

/** A finding, with the fields in order. */
export function finding(id: string, severity: Severity, subject: string, title: string, seen: string, expected: string, fix: string): Finding {
  return { id, severity, subject, title, seen, expected, fix };
}

/** Everything the doctor knows about this server that the checks compare DNS and the network against. */
export interface HostFacts {
  /** The server's host name (the MX host of every domain, the EHLO name). */
  hostname: string;
  /** The name sent in EHLO ([outbound] helo_name, else hostname). */
  heloName: string;
  /** The public addresses ([network] public_ipv4/ipv6, else detected). */
  ipv4: string[];
  ipv6: string[];
  /** DANE: SHA-256 of the SubjectPublicKeyInfo of the key served on port 25 now, and of the next key when one is staged (hex). */
  tlsaKeys: { current: string; next?: string };
  /** The CA the ACME client uses, for CAA (issuer domain such as letsencrypt.org), when ACME is on. */
  acmeCa?: string;
}

/** Everything the doctor knows about one hosted domain. */
export interface DomainFacts {
  /** A-label, lower case. */
  domain: string;
  /** The host name clients use for this domain (mail.<domain>, or the server's hostname). */
  clientHost: string;
  /** The DKIM keys Petrel signs with for this domain: selector, algorithm, the public key as published (p= value). */
  dkim: { selector: string; algorithm: 'rsa-sha256' | 'ed25519-sha256'; publicKey: string }[];
  /** The MTA-STS policy Petrel serves for this domain, its text (CRLF lines) and the id it should be published with. */
  mtaSts: { mode: 'none' | 'testing' | 'enforce'; text: string; id: string };
  /** Where DMARC aggregate reports should go, and TLS reports. */
  dmarcRua: string;
  tlsRptRua: string;
  /**
   * The client services offered and their ports (app/published.ts services()), when known: the SRV check (K01) then
   * also says which records should be `0 0 0 .` and which port each should name; without it, any record pointing at
   * clientHost, or `0 0 0 .`, is right.
   */
  services?: { submissions?: number; submission?: number; imaps?: number; imap?: number; pop3s?: number; pop3?: number; sieve?: number };
}

/** Any record type, as dns/wire-client.ts `query` answers it (DS, DNSKEY, CAA, SRV, PTR, SOA...). */
export type DnsQuery = <T extends QueryType>(name: string, type: T) => Promise<DnsAnswer<RecordData<T>>>;

/** The edges a check may use, all injected (a fake resolver in unit tests, a real BIND in end-to-end tests). */
export interface DoctorDeps {
  dns: DnsClient;
  /** The same resolver for the other record types. */
  query: DnsQuery;
  now: () => number;
  /**
   * Fetches https://mta-sts.<domain>/.well-known/mta-sts.txt as a sending MTA would (sender-auth/mta-sts-fetch.ts:
   * 200 only, no redirect, text/plain, a certificate valid for the policy host, 64 KiB); without it the policy
   * checks (G02 to G04, G06 on the served policy) say they were not made.
   */
  mtaStsFetcher?: MtaStsPolicyFetcher;
}

export type DomainCheck = (facts: DomainFacts, host: HostFacts, deps: DoctorDeps) => Promise<Finding[]>;
export type HostCheck = (host: HostFacts, deps: DoctorDeps) => Promise<Finding[]>;
