/*
 * Which TLS a connection to one MX host must have, decided before
 * connecting, from (strongest first):
 *
 * 1. DANE (RFC 7672): the MX answer and the host's addresses were
 *    DNSSEC-validated and `_port._tcp.host` has validated TLSA records.
 *    Usable records: TLS required and the certificate must match them;
 *    only unusable records: TLS required, unauthenticated (section 2.2);
 *    a TLSA lookup that fails (SERVFAIL: possibly an attack on the
 *    records) skips the host. DANE wins over MTA-STS (RFC 8461 section 2).
 * 2. MTA-STS (RFC 8461 section 4): enforce mode skips an MX host the
 *    policy does not list and requires TLS with a certificate valid for
 *    the host name (WebPKI); testing mode changes nothing but the log.
 * 3. Otherwise opportunistic TLS (RFC 7435): STARTTLS when offered, any
 *    certificate, and plaintext when the handshake fails.
 *
 * Routes and the relay take their TLS from configuration: 'required'
 * verifies the certificate against the host name (and the relay's CA).
 * A message sent with REQUIRETLS (RFC 8689 section 4.2.1) goes only over
 * a verified session to a host that DANE or an MTA-STS policy in enforce
 * mode vouches for (or a verified route or relay); anything else is a
 * permanent 5.7.30.
 *
 * Exports: hostPolicy, webpkiVerify, HostPolicy, PolicyInputs, MtaStsView.
 * Security: decides whether a session may carry mail; every "required"
 * policy fails closed (the message is deferred, never sent in plaintext).
 */
import { checkServerIdentity, type TLSSocket } from 'node:tls';
import type { DnsClient } from '../../dns/client.js';
import type { MxHost } from '../../dns/mx.js';
import { tlsaPolicy, verifyDane } from '../../sender-auth/dane.js';
import type { TlsPolicy } from './connection.js';
import type { Nexthop } from './nexthop.js';

/** The domain's MTA-STS policy as the delivery needs it. */
export type MtaStsView = { mode: 'none' } | { mode: 'enforce' | 'testing'; id: string; mxAllowed: (host: string) => boolean };

export type HostPolicy =
  | { kind: 'skip'; reason: string; statusCode: string; temporary: boolean }
  | { kind: 'connect'; tls: TlsPolicy; label: 'dane' | 'dane-unauthenticated' | 'mta-sts' | 'required' | 'opportunistic' | 'none'; verified: boolean };

export interface PolicyInputs {
  nexthop: Nexthop;
  host: MxHost;
  /** The MX answer was validated (route.authenticated); always false for a fixed host. */
  mxAuthenticated: boolean;
  port: number;
  mtaSts: MtaStsView;
  requireTls: boolean;
  dns: DnsClient;
  /** [outbound] dane. */
  dane: boolean;
}

/** WebPKI: the chain verifies to a trusted root and the certificate names one of names. */
export function webpkiVerify(names: readonly string[]): (socket: TLSSocket) => string | undefined {
  return (socket) => {
    if (!socket.authorized) return `certificate not trusted: ${String(socket.authorizationError ?? 'unknown')}`;
    const cert = socket.getPeerCertificate();
    if (!cert || Object.keys(cert).length === 0) return 'no certificate';
    if (names.some((n) => checkServerIdentity(n, cert) === undefined)) return undefined;
    return `certificate does not match ${names.join(' or ')}`;
  };
}

const skip = (reason: string, statusCode: string, temporary: boolean): HostPolicy => ({ kind: 'skip', reason, statusCode, temporary });

export async function hostPolicy(p: PolicyInputs): Promise<HostPolicy> {
  const name = p.host.name;
  if (p.nexthop.kind === 'host') {
    const { tls } = p.nexthop;
    if (tls === 'required') return { kind: 'connect', tls: { mode: 'required', servername: name, verify: webpkiVerify([name]), ca: p.nexthop.ca }, label: 'required', verified: true };
    if (p.requireTls) return skip(`REQUIRETLS: the route to ${name} does not require verified TLS`, '5.7.30', false);
    return { kind: 'connect', tls: { mode: tls, servername: name }, label: tls, verified: false };
  }

  if (p.dane && p.mxAuthenticated && p.host.authenticated) {
    const tlsa = tlsaPolicy(await p.dns.tlsa(`_${p.port}._tcp.${name}`));
    if (tlsa.kind === 'defer') return skip(`${name}: ${tlsa.reason}; not delivering without DANE`, '4.7.5', true);
    if (tlsa.kind === 'dane') {
      const { records } = tlsa;
      // RFC 7672 section 2.2.2: the reference names are the TLSA base domain, here the MX host name (no CNAME is followed).
      const verify = (socket: TLSSocket) => {
        const peer = socket.getPeerX509Certificate();
        if (!peer) return 'DANE: the server presented no certificate';
        const verdict = verifyDane(records, peer, [name]);
        return verdict.ok ? undefined : `DANE: ${verdict.reason}`;
      };
      return { kind: 'connect', tls: { mode: 'required', servername: name, verify }, label: 'dane', verified: true };
    }
    if (tlsa.kind === 'encrypt') {
      if (p.requireTls) return skip(`REQUIRETLS: ${name}: ${tlsa.reason}`, '5.7.30', false);
      return { kind: 'connect', tls: { mode: 'required', servername: name }, label: 'dane-unauthenticated', verified: false };
    }
  }

  if (p.mtaSts.mode === 'enforce') {
    if (!p.mtaSts.mxAllowed(name)) return skip(`MX host ${name} is not in the MTA-STS policy (id ${p.mtaSts.id}) of ${p.nexthop.domain}`, '4.7.5', true);
    return { kind: 'connect', tls: { mode: 'required', servername: name, verify: webpkiVerify([name]) }, label: 'mta-sts', verified: true };
  }
  if (p.requireTls) return skip(`REQUIRETLS: ${p.nexthop.domain} has neither DANE nor an enforced MTA-STS policy`, '5.7.30', false);
  return { kind: 'connect', tls: { mode: 'opportunistic', servername: name }, label: 'opportunistic', verified: false };
}
