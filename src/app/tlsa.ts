/*
 * DANE for port 25: the TLSA 3 1 1 data of the key served there now and of
 * the key ACME has staged to replace it, and whether a key's TLSA record
 * is visible in the DNS. `petrel dns plan` publishes the pair, the doctor
 * compares it with what the DNS holds, and `petrel cert rollover` and the
 * server's renewal scheduler switch keys only once the next key's record
 * is visible (RFC 7671 section 8.1: publish first, then switch).
 *
 * The current key is the one the certificate registry serves for the host
 * name (the SNI a DANE sender sends to an MX), hashed over the
 * certificate's own SubjectPublicKeyInfo octets. The next key is the
 * next-privkey.pem of the ACME lineage whose certificate is the one
 * served; before ACME's first certificate for the host, the host
 * lineage's staged key (the first certificate takes it).
 *
 * Visible means: a lookup of _25._tcp.<name> through the configured
 * resolvers ([dns], uncached, so a record published a minute ago counts)
 * answers a 3 1 1 record with the key's digest. The AD bit is not
 * required, deliberately: a sender applies DANE only to a TLSA RRset its
 * validating resolver authenticated, so in an unsigned zone no sender
 * checks the key and a switch breaks nothing (requiring AD would block
 * the rollover there for ever); in a signed zone a validating resolver
 * answers the record with AD, and a record whose signatures fail comes
 * back as SERVFAIL, which is a temporary failure here and so "not
 * visible". What this cannot see is a sender's resolver still caching the
 * RRset from before the record was added: publish the next key at least
 * one TTL before switching (`petrel dns plan` publishes it from the
 * moment it is staged, months before a renewal uses it).
 *
 * Exports: tlsaKeysFor, tlsaOwner, tlsaRecordLine, tlsaVisible,
 * tlsaLookupFor, TlsaKeys.
 *
 * Security: reads the certificate registry's files (including the staged
 * private key, to hash its public half) with the caller's privileges;
 * prints and returns only public-key digests. Names looked up come from
 * the configuration.
 * Standards: RFC 6698 (TLSA 3 1 1: DANE-EE, SPKI, SHA-256), RFC 7671
 * section 8.1 (key rollover), RFC 7672 section 3 (TLSA for SMTP at
 * _25._tcp.<MX host>).
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { Config } from '../config/schema.js';
import type { DnsClient } from '../dns/client.js';
import { WireDnsClient } from '../dns/wire-client.js';
import { subjectPublicKeyInfo } from '../sender-auth/dane-der.js';
import { silentLogger } from '../telemetry/logger.js';
import { splitPemCertificates } from '../tls/certificate.js';
import { normalizeCertificateName, openCertificateRegistry } from '../tls/index.js';
import { listLineages, livePaths, MAX_PEM_BYTES, readCapped, spkiSha256 } from '../tls/acme/index.js';
import type { DataPaths } from './paths.js';
import { tlsSettingsFor } from './tls-settings.js';

/** SHA-256 of a SubjectPublicKeyInfo, lower-case hex: TLSA 3 1 1 data. */
export interface TlsaKeys {
  current: string;
  next?: string;
}

/** The TLSA owner name of an SMTP server (RFC 7672 section 3). */
export const tlsaOwner = (host: string): string => `_25._tcp.${host}`;

/** The zone-file line to publish for a key. */
export const tlsaRecordLine = (host: string, spki: string, ttl = 3600): string => `${tlsaOwner(host)}. ${ttl} IN TLSA 3 1 1 ${spki}`;

const certificateSpki = (pem: string): string => createHash('sha256').update(subjectPublicKeyInfo(new X509Certificate(pem).raw)).digest('hex');

/** The leaf's SPKI digest of a lineage's fullchain.pem, or undefined when it has none (or it does not parse). */
async function lineageCurrent(certsDir: string, name: string): Promise<string | undefined> {
  const chain = await readCapped(livePaths(certsDir, name).fullchain, MAX_PEM_BYTES).catch(() => undefined);
  const leaf = chain ? splitPemCertificates(chain)[0] : undefined;
  if (!leaf) return undefined;
  try {
    return certificateSpki(leaf);
  } catch {
    return undefined;
  }
}

async function stagedNext(certsDir: string, name: string): Promise<string | undefined> {
  const pem = await readCapped(livePaths(certsDir, name).nextPrivkey, MAX_PEM_BYTES).catch(() => undefined);
  return pem ? spkiSha256(pem) : undefined;
}

/** The host's ACME lineage (its directory name), when the host name can be one. */
function hostLineage(config: Config): string | undefined {
  return normalizeCertificateName(config.hostname);
}

/**
 * The key served on port 25 now, and the staged next key when ACME has
 * one for it. Opens the registry without watching; with no real
 * certificate the self-signed one is generated as the server would, and
 * `hostedDomains` (the directory's hostedNames()) lets a first one cover
 * the domains as the server's does, so the server does not replace it
 * (and its key) at start. Without them, an existing self-signed
 * certificate is used as it is.
 */
export async function tlsaKeysFor(config: Config, paths: DataPaths, hostedDomains: string[] = []): Promise<TlsaKeys> {
  const registry = await openCertificateRegistry(tlsSettingsFor(config, paths), silentLogger, { watch: false, hostedDomains });
  let current: string;
  try {
    current = certificateSpki(splitPemCertificates(registry.certificateFor(config.hostname))[0]!);
  } finally {
    registry.close();
  }
  for (const name of await listLineages(paths.certs)) {
    if ((await lineageCurrent(paths.certs, name)) !== current) continue;
    const next = await stagedNext(paths.certs, name);
    return next && next !== current ? { current, next } : { current };
  }
  const host = hostLineage(config);
  if (config.acme.enabled && host && (await lineageCurrent(paths.certs, host)) === undefined) {
    const next = await stagedNext(paths.certs, host);
    if (next && next !== current) return { current, next };
  }
  return { current };
}

/** Whether _25._tcp.<name> answers a TLSA 3 1 1 record for `spki` (see the header for why AD is not required). */
export async function tlsaVisible(dns: DnsClient, name: string, spki: string): Promise<boolean> {
  const answer = await dns.tlsa(tlsaOwner(name));
  if (!answer.ok) return false;
  const wanted = spki.toLowerCase();
  return answer.records.some((r) => r.usage === 3 && r.selector === 1 && r.matchingType === 1 && r.data.toString('hex') === wanted);
}

/** tlsaVisible on the configured resolvers, uncached: the `nextKeyPublished` of the renewal scheduler and `petrel cert rollover`. */
export function tlsaLookupFor(config: Config): (name: string, spki: string) => Promise<boolean> {
  const dns = new WireDnsClient({ servers: config.dns.resolvers, timeoutMs: config.dns.timeout, tries: config.dns.tries });
  return (name, spki) => tlsaVisible(dns, name, spki);
}
