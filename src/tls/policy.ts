/*
 * The TLS policy every Petrel listener shares: protocol versions, cipher
 * suites, server options flags, and the ALPN rule per protocol.
 *
 * Exports: TLS_MIN_VERSION, TLS_MAX_VERSION, TLS_CIPHERS, TLS_SECURE_OPTIONS,
 * contextPolicy, ALPN_NAMES, alpnSelector.
 *
 * Security: alpnSelector runs on the ALPN list a client sends (untrusted). It
 * is the ALPACA defence: a client that offers ALPN names, none of which is
 * the protocol this port speaks (a browser offering only `http/1.1` to an
 * IMAP or SMTP port, or an `imap` client sent to HTTPS), gets a fatal
 * no_application_protocol alert instead of a session; a client that offers
 * no ALPN at all (most mail clients and MTAs) is unaffected.
 * Standards: RFC 8996 (no TLS 1.0/1.1), RFC 7525bis / RFC 9325 (AEAD suites
 * with forward secrecy only), RFC 7301 section 3.2 (no_application_protocol),
 * IANA ALPN ids `smtp`, `imap`, `pop3`, `managesieve`, `http/1.1`. LMTP has
 * no registered id: the lmtp policy accepts `lmtp` and `smtp`.
 * Deliberate: on port 25 a sender that cannot do TLS 1.2 with an AEAD suite
 * falls back to plaintext (RFC 7435 would take any cipher); Postfix, Exim,
 * Exchange and every MTA released since 2014 can.
 */
import { constants } from 'node:crypto';
import type { SecureContextOptions } from 'node:tls';
import type { Logger } from '../telemetry/index.js';
import type { TlsProtocol } from './types.js';
import { MAX_LOGGED_ALPN_LENGTH } from './limits.js';

export const TLS_MIN_VERSION = 'TLSv1.2' as const;
export const TLS_MAX_VERSION = 'TLSv1.3' as const;

/**
 * TLS 1.3 suites first (Node takes them from the same string; leaving them
 * out would switch TLS 1.3 off), then TLS 1.2 ECDHE with AEAD for ECDSA and
 * RSA certificates. No CBC, SHA-1 MACs, RC4, 3DES, static RSA, DHE or export.
 */
export const TLS_CIPHERS = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
].join(':');

/** Server cipher preference, and no renegotiation (a TLS 1.2 client could otherwise renegotiate at will). */
export const TLS_SECURE_OPTIONS = constants.SSL_OP_CIPHER_SERVER_PREFERENCE | constants.SSL_OP_NO_RENEGOTIATION;

/** The options every secure context of the registry is built with, besides key and cert. */
export function contextPolicy(): SecureContextOptions {
  return {
    minVersion: TLS_MIN_VERSION,
    maxVersion: TLS_MAX_VERSION,
    ciphers: TLS_CIPHERS,
    honorCipherOrder: true,
    secureOptions: TLS_SECURE_OPTIONS,
  };
}

/** The ALPN names each protocol accepts, in order of preference. */
export const ALPN_NAMES: Readonly<Record<TlsProtocol, readonly string[]>> = {
  smtp: ['smtp'],
  lmtp: ['lmtp', 'smtp'],
  imap: ['imap'],
  pop3: ['pop3'],
  sieve: ['managesieve'],
  https: ['http/1.1'],
};

export interface AlpnOffer {
  servername: string;
  protocols: string[];
}

/**
 * An ALPNCallback (tls.createServer / new tls.TLSSocket option, Node >= 18.18
 * and 20.0): returns the name to select, or undefined, which makes Node end
 * the handshake with a fatal no_application_protocol alert.
 */
export function alpnSelector(protocol: TlsProtocol, logger: Logger): (offer: AlpnOffer) => string | undefined {
  const accepted = ALPN_NAMES[protocol];
  return ({ servername, protocols }) => {
    for (const name of accepted) if (protocols.includes(name)) return name;
    logger.info('alpn refused', {
      protocol,
      servername: servername || null,
      offered: protocols.join(',').slice(0, MAX_LOGGED_ALPN_LENGTH),
    });
    return undefined;
  };
}
