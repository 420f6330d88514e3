/*
 * DANE for outbound SMTP: which TLSA records count, what a TLSA lookup
 * means for the connection, and whether the certificate chain a server
 * presented matches its records. Pure (certificates in, a verdict out);
 * the DNS lookups and the TLS session are the caller's.
 *
 * The caller (delivery/smtp) looks up _25._tcp.<MX host> only when the MX
 * RRset and the host's address records were DNSSEC-validated, then:
 * - tlsaPolicy(answer): 'dane' (secure and usable: authenticate with
 *   verifyDane, else do not deliver to this host), 'encrypt' (secure
 *   records, none usable: TLS is still mandatory, unauthenticated),
 *   'none' (no secure TLSA: DANE does not apply), 'defer' (the lookup
 *   failed, bogus answers included: try another MX or later, never
 *   fall back to cleartext).
 * - verifyDane(records, peerChain, referenceNames) after the handshake.
 *
 * Rules:
 * - Usable for SMTP: usages DANE-TA(2) and DANE-EE(3); selectors Cert(0)
 *   and SPKI(1); matching types Full(0), SHA2-256(1), SHA2-512(2) with a
 *   digest of the right length. PKIX-TA(0), PKIX-EE(1) and any other value
 *   are unusable. Digest agility: per usage and selector, only Full(0)
 *   records and those of the strongest digest present are used.
 * - DANE-EE(3): the server's own certificate (or its public key) matches;
 *   neither its names nor its validity dates are checked.
 * - DANE-TA(2): a certificate of the presented chain, or the TA in the
 *   record itself ("2 0 0" a certificate, "2 1 0" a public key), matches;
 *   the path from the server's certificate up to it verifies signature by
 *   signature, each issuer being a CA (basicConstraints cA) and every
 *   certificate on it within its validity dates at `clock.now()`; and the
 *   server's certificate names one of the reference names (the TLSA base
 *   domain, the MX host name; the caller may add the next-hop domain)
 *   under RFC 6125 rules: subjectAltName dNSName entries, the subject CN
 *   only without any, a wildcard only as the whole left-most label and
 *   matching exactly one label.
 *
 * Exports: tlsaPolicy, usableTlsa, isUsableTlsa, tlsaUnusableReason,
 * verifyDane, presentedChain, TlsaPolicy, DaneVerdict, DaneOptions,
 * MAX_CHAIN_CERTIFICATES, MAX_TLSA_RECORDS.
 * Security: the chain and the records come from the network. The chain
 * walked is bounded (MAX_CHAIN_CERTIFICATES) and so are the records
 * tried (MAX_TLSA_RECORDS); every signature is checked with the issuer's
 * key, never trusted from names; the AD bit is only as good as the path
 * to the validating resolver (see dns/wire-client.ts).
 * Standards: RFC 7672 sections 2.2 (TLSA lookup outcomes: secure, none
 * usable, failure), 3.1.1 (DANE-EE: no name or expiry checks), 3.1.2
 * (DANE-TA), 3.1.3 (PKIX usages unusable for SMTP), 3.2.2 and 3.2.3
 * (reference identifiers and wildcards); RFC 6698 section 2.1 (fields);
 * RFC 7671 sections 5.1 (DANE-EE), 5.2, 5.2.2 and 5.2.3 (TA certificate
 * or key from the record), 9 (digest algorithm agility), 10.2 (name
 * checks); RFC 6125 section 6.4 (DNS-ID, CN-ID, wildcards).
 * Interpretations: the validity dates of the TA certificate are checked
 * too when the TA is a certificate (presented or from a "2 0 0" record),
 * as OpenSSL's DANE verifier does; a TA given only as a key has none.
 */
import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import type { DnsAnswer, TlsaRecord } from '../dns/client.js';
import { subjectPublicKeyInfo } from './dane-der.js';

/** Certificates of a presented chain looked at: real chains are 2 to 4 long; each costs signature checks. */
export const MAX_CHAIN_CERTIFICATES = 10;
/** TLSA records tried per verification: an RRset holds 1 to 4 in practice; each costs a digest per certificate. */
export const MAX_TLSA_RECORDS = 64;

const DANE_TA = 2;
const DANE_EE = 3;
const DIGEST_LENGTH: Record<number, number> = { 1: 32, 2: 64 };
const DIGEST_NAME: Record<number, string> = { 1: 'sha256', 2: 'sha512' };
/** Digest strength for agility (RFC 7671 section 9): higher is stronger. */
const DIGEST_STRENGTH: Record<number, number> = { 1: 1, 2: 2 };

export type TlsaPolicy =
  | { kind: 'dane'; records: TlsaRecord[] }
  | { kind: 'encrypt'; reason: string }
  | { kind: 'none'; reason: string }
  | { kind: 'defer'; reason: string };

export type DaneVerdict =
  | { ok: true; usage: 3; matched: 'ee'; record: TlsaRecord }
  /** depth: how far above the server's certificate the TA is (0: the server's certificate itself); name: the reference name matched. */
  | { ok: true; usage: 2; matched: 'ta'; record: TlsaRecord; depth: number; name: string; taFrom: 'chain' | 'record' }
  | { ok: false; reason: string };

export interface DaneOptions {
  /** For the validity dates of DANE-TA chains. */
  clock?: Clock;
}

/** Why a record cannot be used for SMTP, or undefined when it can. */
export function tlsaUnusableReason(record: TlsaRecord): string | undefined {
  if (record.usage === 0 || record.usage === 1) return `usage ${record.usage} (PKIX-${record.usage === 0 ? 'TA' : 'EE'}) is not used for SMTP`;
  if (record.usage !== DANE_TA && record.usage !== DANE_EE) return `unknown usage ${record.usage}`;
  if (record.selector !== 0 && record.selector !== 1) return `unknown selector ${record.selector}`;
  if (record.matchingType === 0) return record.data.length > 0 ? undefined : 'empty association data';
  const length = DIGEST_LENGTH[record.matchingType];
  if (length === undefined) return `unknown matching type ${record.matchingType}`;
  return record.data.length === length ? undefined : `a ${DIGEST_NAME[record.matchingType]} digest of ${record.data.length} octets`;
}

export function isUsableTlsa(record: TlsaRecord): boolean {
  return tlsaUnusableReason(record) === undefined;
}

/** The usable records, after digest agility: per (usage, selector), Full(0) and the strongest digest present. */
export function usableTlsa(records: readonly TlsaRecord[]): TlsaRecord[] {
  const usable = records.filter(isUsableTlsa);
  const strongest = new Map<string, number>();
  for (const r of usable) {
    const key = `${r.usage} ${r.selector}`;
    strongest.set(key, Math.max(strongest.get(key) ?? 0, DIGEST_STRENGTH[r.matchingType] ?? 0));
  }
  return usable.filter((r) => r.matchingType === 0 || DIGEST_STRENGTH[r.matchingType] === strongest.get(`${r.usage} ${r.selector}`));
}

/** What the TLSA lookup for an MX host (whose MX and address records were secure) means for the connection. */
export function tlsaPolicy(answer: DnsAnswer<TlsaRecord>): TlsaPolicy {
  if (!answer.ok) {
    if (answer.kind === 'temporary') return { kind: 'defer', reason: `TLSA lookup failed: ${answer.detail}` };
    return { kind: 'none', reason: `no TLSA records (${answer.kind})` };
  }
  if (answer.authenticated !== true) return { kind: 'none', reason: 'TLSA records not validated by DNSSEC: ignored' };
  const records = usableTlsa(answer.records);
  if (records.length > 0) return { kind: 'dane', records };
  const why = [...new Set(answer.records.map((r) => tlsaUnusableReason(r)))].join('; ');
  return { kind: 'encrypt', reason: `TLSA records published but none usable for SMTP (${why}): TLS without authentication` };
}

/**
 * The presented certificates, the server's first: an array as given, or
 * a peer certificate (tls.TLSSocket#getPeerX509Certificate) followed
 * through issuerCertificate; bounded and stopping at a repeat.
 */
export function presentedChain(peer: X509Certificate | readonly X509Certificate[]): X509Certificate[] {
  if (Array.isArray(peer)) return peer.slice(0, MAX_CHAIN_CERTIFICATES);
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  for (let cert: X509Certificate | undefined = peer as X509Certificate; cert && chain.length < MAX_CHAIN_CERTIFICATES; cert = cert.issuerCertificate) {
    if (seen.has(cert.fingerprint256)) break;
    seen.add(cert.fingerprint256);
    chain.push(cert);
  }
  return chain;
}

/** The octets a record's selector picks from cert, hashed by its matching type, compared with its data. */
function matches(record: TlsaRecord, cert: X509Certificate): boolean {
  try {
    const selected = record.selector === 0 ? cert.raw : subjectPublicKeyInfo(cert.raw);
    const digest = record.matchingType === 0 ? selected : createHash(DIGEST_NAME[record.matchingType]!).update(selected).digest();
    return digest.equals(record.data);
  } catch {
    return false;
  }
}

function signedBy(cert: X509Certificate, key: KeyObject): boolean {
  try {
    return cert.verify(key);
  } catch {
    return false;
  }
}

/** cert's issuer among the presented certificates not on the path yet: names match and the signature verifies. */
function issuerAmong(cert: X509Certificate, pool: X509Certificate[], path: X509Certificate[]): X509Certificate | undefined {
  return pool.find((c) => !path.includes(c) && cert.checkIssued(c) && signedBy(cert, c.publicKey));
}

function withinValidity(cert: X509Certificate, now: number): boolean {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  return Number.isFinite(from) && Number.isFinite(to) && from <= now && now <= to;
}

const canonical = (name: string) => name.toLowerCase().replace(/\.$/, '');

/** The reference name the certificate names (RFC 6125 rules: DNS-IDs, CN only without them, one-label wildcards). */
function matchedName(cert: X509Certificate, referenceNames: readonly string[]): string | undefined {
  for (const name of referenceNames.map(canonical)) {
    if (name === '' || name.includes('*')) continue;
    const hit = cert.checkHost(name, { subject: 'default', wildcards: true, partialWildcards: false, multiLabelWildcards: false, singleLabelSubdomains: false });
    if (hit !== undefined) return name;
  }
  return undefined;
}

type TaFound = { record: TlsaRecord; path: X509Certificate[]; ta?: X509Certificate; taFrom: 'chain' | 'record' };

/** Walks up from the server's certificate by verified signatures until a certificate matches a DANE-TA record, then tries the TAs the records carry. */
function findTrustAnchor(records: TlsaRecord[], chain: X509Certificate[]): TaFound | string {
  const path = [chain[0]!];
  for (;;) {
    const top = path[path.length - 1]!;
    const record = records.find((r) => matches(r, top));
    if (record) return { record, path: path.slice(0, -1), ta: top, taFrom: 'chain' };
    const next = issuerAmong(top, chain, path);
    if (!next) break;
    path.push(next);
  }
  const top = path[path.length - 1]!;
  for (const record of records.filter((r) => r.matchingType === 0)) {
    const fromRecord = taOfRecord(record);
    if (!fromRecord) continue;
    if (fromRecord instanceof X509Certificate ? top.checkIssued(fromRecord) && signedBy(top, fromRecord.publicKey) : signedBy(top, fromRecord)) {
      return { record, path, ...(fromRecord instanceof X509Certificate ? { ta: fromRecord } : {}), taFrom: 'record' };
    }
  }
  const stranded = chain.some((c) => !path.includes(c) && records.some((r) => matches(r, c)));
  return stranded
    ? 'the presented certificate matching a DANE-TA record did not issue the chain below it (broken or incomplete chain)'
    : 'no certificate of the chain, and no trust anchor in the records, matches a DANE-TA record';
}

/** The TA a Full(0) record carries: a certificate ("2 0 0") or a public key ("2 1 0"), or undefined when it does not parse. */
function taOfRecord(record: TlsaRecord): X509Certificate | KeyObject | undefined {
  try {
    return record.selector === 0 ? new X509Certificate(record.data) : createPublicKey({ key: record.data, format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}

/** The checks on a path found to a TA: issuers are CAs, dates, and the server's certificate's names. */
function checkTaPath(found: TaFound, referenceNames: readonly string[], now: number): DaneVerdict {
  const certs = found.ta ? [...found.path, found.ta] : found.path;
  const server = found.path[0] ?? found.ta!;
  if (certs.slice(1).some((c) => !c.ca)) return { ok: false, reason: 'a certificate above the server certificate is not a CA (basicConstraints)' };
  const stale = certs.find((c) => !withinValidity(c, now));
  if (stale) return { ok: false, reason: `a certificate of the chain is outside its validity dates (${stale.subject.replace(/\n/g, ', ')}: ${stale.validFrom} to ${stale.validTo})` };
  const name = matchedName(server, referenceNames);
  if (!name) return { ok: false, reason: `the server certificate names none of ${referenceNames.join(', ') || '(no reference names)'}` };
  return { ok: true, usage: 2, matched: 'ta', record: found.record, depth: found.path.length, name, taFrom: found.taFrom };
}

/**
 * Whether the presented chain matches the TLSA records (unusable ones are
 * ignored). referenceNames: the TLSA base domain first, then the MX host
 * name if different (and the next-hop domain if the caller accepts it).
 */
export function verifyDane(records: readonly TlsaRecord[], peerChain: X509Certificate | readonly X509Certificate[], referenceNames: readonly string[], options: DaneOptions = {}): DaneVerdict {
  const usable = usableTlsa(records).slice(0, MAX_TLSA_RECORDS);
  if (usable.length === 0) return { ok: false, reason: 'no usable TLSA record' };
  const chain = presentedChain(peerChain);
  const server = chain[0];
  if (!server) return { ok: false, reason: 'the server presented no certificate' };
  const ee = usable.find((r) => r.usage === DANE_EE && matches(r, server));
  if (ee) return { ok: true, usage: 3, matched: 'ee', record: ee };
  const reasons = usable.some((r) => r.usage === DANE_EE) ? ['the server certificate matches no DANE-EE record'] : [];
  const ta = usable.filter((r) => r.usage === DANE_TA);
  if (ta.length > 0) {
    const found = findTrustAnchor(ta, chain);
    if (typeof found !== 'string') return checkTaPath(found, referenceNames, (options.clock ?? systemClock).now());
    reasons.push(found);
  }
  return { ok: false, reason: reasons.join('; ') };
}
