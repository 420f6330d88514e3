/*
 * The certificate registry: one SNI-driven source of certificates for every
 * TLS listener of Petrel (SMTP 25/587/465, LMTP, IMAP, POP3, ManageSieve,
 * HTTPS), as Postfix's tls_server_sni_maps and Dovecot's local_name blocks
 * do, from one place.
 *
 *   const certs = await openCertificateRegistry(settings.tls, logger);
 *   // smtp-server (STARTTLS and implicit TLS both take the SNI certificate;
 *   // minVersion and ciphers apply to both):
 *   const smtp = new SMTPServer({ ...certs.serverOptions('smtp'), secure: false, ... });
 *   certs.onChange(() => smtp.updateSecureContext(certs.serverOptions('smtp')));
 *   // our own listeners and STARTTLS upgrades:
 *   const server = tls.createServer(certs.serverOptions('imap'), onSecureSocket);
 *   certs.onChange(() => server.setSecureContext(certs.serverOptions('imap')));
 *   const secure = new tls.TLSSocket(socket, { ...certs.serverOptions('imap'), isServer: true });
 *
 * onChange matters for clients that send no SNI (Postfix by default): they
 * get the listener's default context, which only the listener can replace.
 * smtp-server builds its TLS sockets from a fixed list of options and does
 * not pass ALPN on; to enforce the ALPN policy on 465, terminate TLS with
 * tls.createServer(certs.serverOptions('smtp')) and hand the socket to an
 * SMTPServer created with `secure: true, secured: true` through
 * `smtp.server.emit('connection', tlsSocket)` (tested in smtp-server.test.ts).
 *
 * Exports: openCertificateRegistry, describeCertificates, the types, the
 * policy constants (TLS_CIPHERS, ALPN_NAMES...) and name helpers.
 *
 * Security: see registry.ts (SNI input, reload safety), policy.ts (versions,
 * suites, ALPACA), self-signed.ts (key file mode).
 * Standards: RFC 6066, RFC 8996, RFC 9325, RFC 7301, RFC 6125, RFC 5280.
 */
export type { TlsSettings, TlsProtocol, CertificateInfo, CertificateRegistry, RegistryOptions, ReloadResult } from './types.js';
export { openCertificateRegistry } from './registry.js';
export { describeCertificates } from './describe.js';
export { ALPN_NAMES, TLS_CIPHERS, TLS_MAX_VERSION, TLS_MIN_VERSION, TLS_SECURE_OPTIONS, alpnSelector, contextPolicy } from './policy.js';
export { normalizeServerName, normalizeCertificateName, wildcardKeyFor } from './names.js';
export { selfSignedNames, SELF_SIGNED_CERT_FILE, SELF_SIGNED_KEY_FILE } from './self-signed.js';
