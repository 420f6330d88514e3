/*
 * Which certificates Petrel asks for, and checking a request before it
 * reaches the CA.
 *
 * certificateRequestsFor gives one certificate for the host name and one
 * per hosted domain with the names its services answer on: the client
 * name (mail.<domain>, or the host name, which the first certificate
 * already has), mta-sts.<domain> (RFC 8461 3.3 wants a valid certificate
 * there), autoconfig.<domain> and autodiscover.<domain>. One certificate
 * per domain keeps a failing domain from holding the others back, a new
 * domain from reissuing everything, and every certificate far below the
 * CA's 100 names.
 *
 * Exports: certificateRequestsFor, normalizeRequest.
 *
 * Security: names come from the configuration and the domain table
 * (operator input); they are normalized to A-labels and checked, so the
 * CA and the DNS updater only ever see well-formed names, and the
 * directory name is one safe path component.
 * Standards: RFC 5890 (A-labels), RFC 6125 6.4.3 and RFC 8555 7.1.3
 * (wildcards: `*.` as the whole left-most label), RFC 8461 3.3.
 */
import { normalizeCertificateName } from '../names.js';
import { isSafeLineageName } from './layout.js';
import { MAX_NAMES_PER_CERTIFICATE } from './limits.js';
import type { CertificateRequest } from './types.js';

const SERVICE_LABELS = ['mta-sts', 'autoconfig', 'autodiscover'] as const;

/** The request with names as A-labels in lower case, duplicates dropped (order kept); throws a RangeError saying what is wrong. */
export function normalizeRequest(request: CertificateRequest): { name: string; names: string[] } {
  if (!isSafeLineageName(request.name)) throw new RangeError(`"${request.name}" cannot name a certificate directory`);
  const names: string[] = [];
  for (const raw of request.names) {
    const name = normalizeCertificateName(raw);
    if (name === undefined) throw new RangeError(`"${raw}" is not a host name a certificate can hold`);
    if (!names.includes(name)) names.push(name);
  }
  if (names.length === 0) throw new RangeError(`the certificate ${request.name} has no names`);
  if (names.length > MAX_NAMES_PER_CERTIFICATE) throw new RangeError(`the certificate ${request.name} has ${names.length} names; a CA takes at most ${MAX_NAMES_PER_CERTIFICATE}`);
  return { name: request.name, names };
}

/**
 * The certificates for this server: the host name's, then one per domain
 * named after its first name. `clientHost(domain)` is the name users
 * configure (mail.<domain>, or the host name).
 */
export function certificateRequestsFor(options: { hostname: string; domains: Iterable<string>; clientHost: (domain: string) => string }): CertificateRequest[] {
  const host = normalizeCertificateName(options.hostname);
  if (host === undefined) throw new RangeError(`"${options.hostname}" is not a host name`);
  const out: CertificateRequest[] = [{ name: host, names: [host] }];
  const seen = new Set<string>([host]);
  for (const domain of options.domains) {
    const base = normalizeCertificateName(domain);
    if (base === undefined || base.startsWith('*.')) continue;
    const names = [normalizeCertificateName(options.clientHost(domain)), ...SERVICE_LABELS.map((label) => `${label}.${base}`)].filter(
      (n): n is string => n !== undefined && !seen.has(n),
    );
    if (names.length === 0) continue;
    names.forEach((n) => seen.add(n));
    out.push({ name: names[0]!, names });
  }
  return out;
}
