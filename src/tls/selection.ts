/*
 * Choosing a certificate for a name, Postfix tls_server_sni_maps style:
 * exact name, then the `*.` wildcard one label up; among candidates a real
 * certificate beats the generated one, a currently valid one beats an
 * expired or not-yet-valid one, an exact match beats a wildcard, and then
 * the one expiring last wins. A name nothing matches gets the default.
 *
 * Exports: CertificateIndex, buildIndex, selectFor, chooseDefault.
 *
 * Security: selectFor runs on every handshake with a client-chosen name; it
 * only reads the index (built once per reload from certificate names), so
 * memory stays flat however many distinct names clients try.
 * Standards: RFC 6066 section 3, RFC 6125 section 6.4.3.
 */
import { isCurrentlyValid, type LoadedCertificate } from './certificate.js';
import { normalizeCertificateName, normalizeServerName, wildcardKeyFor } from './names.js';

export interface CertificateIndex {
  /** Name (or `*.` wildcard) -> certificates listing it. Built once, read-only after. */
  readonly byName: ReadonlyMap<string, readonly LoadedCertificate[]>;
  readonly all: readonly LoadedCertificate[];
}

export function buildIndex(certs: readonly LoadedCertificate[]): CertificateIndex {
  const byName = new Map<string, LoadedCertificate[]>();
  for (const cert of certs) {
    for (const name of cert.info.names) {
      const list = byName.get(name);
      if (list) list.push(cert);
      else byName.set(name, [cert]);
    }
  }
  return { byName, all: certs };
}

function better(a: LoadedCertificate, aExact: boolean, b: LoadedCertificate, bExact: boolean, now: Date): boolean {
  if (a.generated !== b.generated) return !a.generated;
  const av = isCurrentlyValid(a.info, now);
  const bv = isCurrentlyValid(b.info, now);
  if (av !== bv) return av;
  if (aExact !== bExact) return aExact;
  return a.info.notAfter.getTime() > b.info.notAfter.getTime();
}

/** The best certificate for a name, or undefined if none lists it (exactly or by wildcard). */
export function selectFor(index: CertificateIndex, servername: string | undefined, now: Date): LoadedCertificate | undefined {
  const name = normalizeServerName(servername);
  if (name === undefined) return undefined;
  let best: LoadedCertificate | undefined;
  let bestExact = false;
  const consider = (list: readonly LoadedCertificate[] | undefined, exact: boolean): void => {
    for (const cert of list ?? []) {
      if (best === undefined || better(cert, exact, best, bestExact, now)) {
        best = cert;
        bestExact = exact;
      }
    }
  };
  consider(index.byName.get(name), true);
  const wildcard = wildcardKeyFor(name);
  if (wildcard !== undefined) consider(index.byName.get(wildcard), false);
  return best;
}

/**
 * The certificate for unknown or missing SNI: the one for defaultName, else
 * for the host name, else the first real one (load order), else the
 * generated one.
 */
export function chooseDefault(index: CertificateIndex, defaultName: string | undefined, hostname: string, now: Date): LoadedCertificate | undefined {
  for (const name of [defaultName, hostname]) {
    if (!name) continue;
    const key = normalizeCertificateName(name);
    const cert = key === undefined ? undefined : selectFor(index, key, now);
    if (cert && !cert.generated) return cert;
  }
  return index.all.find((c) => !c.generated) ?? index.all.find((c) => c.generated);
}
