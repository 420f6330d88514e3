/*
 * TLS on every service port, for every name clients use there (doctor.md
 * group I): STARTTLS offered and working (I01), no TLS 1.0/1.1 (I02), no
 * weak cipher (I03), the certificate names the name the client asked for
 * (I04, with both fixes for an internal name it does not hold), the chain
 * served whole (I05), expiry (I06), trust and self-signed (I07), the key
 * strength (I10). I08 (key matches the certificate) is proven by every
 * handshake that succeeds; I09 (each domain's client name its own
 * certificate by SNI) is I04 asked with that name.
 *
 * Names per port: the MX host on 25; each domain's client name (and the
 * extra names) on 465, 587, 993, 143, 995, 110; on 443 the mta-sts.,
 * autoconfig. and autodiscover. names of each domain and the host name.
 *
 * Exports: tlsChecks, namesFor.
 * Security: connects to the server's own listeners only.
 * Standards: RFC 8314, RFC 7525/9325 (versions, ciphers), RFC 6125 (names).
 */
import { checkServerIdentity } from 'node:tls';
import { finding, type DomainFacts, type Finding, type HostFacts } from '../types.js';
import type { NetworkCheck, NetworkDeps, NetworkFacts, ServiceEndpoint } from './types.js';

/** Certificates expiring within this are a warning. */
const EXPIRY_WARNING_MS = 14 * 86_400_000;
/** Verification errors that mean the server sent its certificate without the intermediates. */
const INCOMPLETE_CHAIN = new Set(['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT']);
const SELF_SIGNED = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN']);

const subject = (e: ServiceEndpoint, name: string) => `${name} on port ${e.port} (${e.role})`;

/** The names clients use on an endpoint. */
export function namesFor(e: ServiceEndpoint, host: HostFacts, domains: readonly DomainFacts[], net: NetworkFacts): string[] {
  if (e.role === 'mx') return [host.hostname];
  if (e.role === 'https') return [host.hostname, ...domains.flatMap((d) => [`mta-sts.${d.domain}`, `autoconfig.${d.domain}`, `autodiscover.${d.domain}`])];
  return [...new Set([...domains.map((d) => d.clientHost), ...(domains.length === 0 ? [host.hostname] : []), ...net.extraNames])];
}

/** publicNames: for an internal name, the names clients of this port should use instead (the domains' client names). */
async function checkName(e: ServiceEndpoint, name: string, publicNames: string[] | undefined, net: NetworkFacts, deps: NetworkDeps): Promise<Finding[]> {
  const out: Finding[] = [];
  let session;
  try {
    session = await deps.openTls(e, { servername: name, alpn: e.protocol === 'http' ? ['http/1.1'] : undefined });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return [finding('I01', 'error', subject(e, name), 'TLS cannot be set up', why, e.security === 'starttls' ? 'STARTTLS offered and a TLS 1.2 or 1.3 handshake' : 'a TLS 1.2 or 1.3 handshake', `Check the certificate and key for ${name} (petrel cert list) and that nothing else answers on port ${e.port}.`)];
  }
  session.client.close();
  const { tls } = session;
  const leaf = tls.chain[0];
  if (!leaf) return [finding('I01', 'error', subject(e, name), 'no certificate was sent', 'a handshake without a certificate', 'a certificate for the name', 'Install a certificate for the name (petrel cert list shows what is served).')];
  const mismatch = checkServerIdentity(name, { subject: { CN: '' }, subjectaltname: leaf.subjectAltName ?? '' } as never);
  if (mismatch) {
    const held = (leaf.subjectAltName ?? '').replace(/DNS:/g, '') || leaf.subject;
    out.push(
      publicNames
        ? finding('I04', 'warning', subject(e, name), `no certificate holds the name ${name} that clients use`, `the certificate for ${held}`, `a certificate that names ${name}`, `Either make the clients connect by a name the server has a certificate for (${(publicNames.length > 0 ? publicNames : [held.split(',')[0]!.trim()]).join(', ')}), or add ${name} to a certificate as a subject alternative name.`)
        : finding('I04', 'error', subject(e, name), `the certificate served for ${name} does not name it`, `a certificate for ${held}`, `a certificate that names ${name}`, `Get a certificate for ${name} (turn [acme] on, or put one under the certificates directory); clients will refuse this one.`),
    );
  }
  const now = Date.now();
  const expires = Date.parse(leaf.validTo);
  if (expires < now) out.push(finding('I06', 'error', subject(e, name), 'the certificate has expired', `valid until ${leaf.validTo}`, 'a valid certificate', 'Renew it (petrel cert renew, or [acme] enabled).'));
  else if (expires - now < EXPIRY_WARNING_MS) out.push(finding('I06', 'warning', subject(e, name), 'the certificate expires soon', `valid until ${leaf.validTo}`, 'more than 14 days left', 'Renew it now (petrel cert renew); with [acme] on this happens 30 days ahead.'));
  if (!tls.authorized) {
    const error = tls.authorizationError ?? 'unknown';
    if (SELF_SIGNED.has(error) || leaf.issuer === leaf.subject) {
      out.push(finding('I07', net.development ? 'info' : 'error', subject(e, name), 'the certificate is self-signed', `issued by ${leaf.issuer.replace(/\n/g, ', ')}`, 'a certificate from a CA clients trust', net.development ? 'Fine for development; in production turn [acme] on or install a real certificate.' : 'Turn [acme] on or install a certificate from a public CA: clients and MTA-STS senders refuse this one.'));
    } else if (INCOMPLETE_CHAIN.has(error) && tls.chain.length === 1) {
      out.push(finding('I05', 'error', subject(e, name), 'the intermediate certificates are missing', 'only the server certificate was sent', 'the server certificate followed by its intermediates (fullchain.pem)', 'Serve fullchain.pem, not cert.pem: put the whole chain in the certificate file.'));
    } else if (!mismatch) {
      out.push(finding('I07', 'error', subject(e, name), 'the certificate does not verify', error, 'a chain to a CA clients trust', 'Install a certificate from a public CA, with its whole chain.'));
    }
  }
  const key = leaf.publicKey;
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType === 'rsa' && bits < 2048) out.push(finding('I10', 'warning', subject(e, name), 'the certificate key is weak', `RSA ${bits} bits`, 'RSA 2048 bits or more, or ECDSA P-256', 'Issue the certificate again with a stronger key.'));
  return out;
}

/** Whether an old protocol or a weak cipher is still accepted (I02, I03), asked once per port with the first name. */
async function checkStrength(e: ServiceEndpoint, name: string, deps: NetworkDeps): Promise<Finding[]> {
  const out: Finding[] = [];
  const accepted = async (o: { minVersion?: 'TLSv1'; maxVersion?: 'TLSv1.1' | 'TLSv1.2'; ciphers?: string }) => {
    try {
      const s = await deps.openTls(e, { servername: name, ...o });
      s.client.close();
      return s.tls.protocol ?? 'yes';
    } catch {
      return undefined;
    }
  };
  const old = await accepted({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
  if (old) out.push(finding('I02', 'error', subject(e, name), 'an obsolete TLS version is accepted', old, 'TLS 1.2 and 1.3 only (RFC 8996)', 'Something in front of Petrel terminates TLS with old settings: Petrel itself offers only TLS 1.2 and 1.3.'));
  const weak = await accepted({ maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA:AES256-SHA:DES-CBC3-SHA:RC4-SHA:@SECLEVEL=0' });
  if (weak) out.push(finding('I03', 'error', subject(e, name), 'a weak cipher is accepted', 'a static-RSA CBC cipher suite', 'ECDHE with AES-GCM or ChaCha20-Poly1305 only', 'Remove the weak suites from whatever terminates TLS on this port.'));
  return out;
}

export const tlsChecks: NetworkCheck = async (host, domains, net, deps) => {
  const out: Finding[] = [];
  for (const e of net.endpoints) {
    if (e.protocol === 'lmtp' || (e.protocol === 'http' && e.security === 'plain')) continue;
    const names = namesFor(e, host, domains, net);
    const publicNames = names.filter((n) => !net.extraNames.includes(n));
    for (const name of names) out.push(...(await checkName(e, name, net.extraNames.includes(name) ? publicNames : undefined, net, deps)));
    if (names[0] && !out.some((f) => f.id === 'I01' && f.subject === subject(e, names[0]!))) out.push(...(await checkStrength(e, names[0], deps)));
  }
  return out;
};
