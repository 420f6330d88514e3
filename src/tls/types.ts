/*
 * The public types of the certificate registry.
 *
 * Exports: TlsSettings, TlsProtocol, CertificateInfo, CertificateRegistry,
 * RegistryOptions, ReloadResult.
 *
 * Security: describes what serves TLS on every listener; see registry.ts.
 * Standards: none here.
 */
import type * as tls from 'node:tls';

export interface TlsSettings {
  /**
   * Let's Encrypt layout: <certsDir>/live/<name>/fullchain.pem + privkey.pem.
   * Each `live/<name>` directory is one certificate; its names come from the
   * certificate's SAN (or CN), not from the directory name. A missing
   * directory means no certificates from it.
   */
  certsDir: string;
  /** Explicit entries: PEM file paths (cert may hold the full chain). */
  certificates: { cert: string; key: string }[];
  /** Name whose certificate answers unknown or missing SNI. */
  defaultName?: string;
  /** Where the generated self-signed certificate and key are kept (e.g. <data>/self-signed). */
  selfSignedDir: string;
  /** The server's host name. */
  hostname: string;
}

export type TlsProtocol = 'smtp' | 'lmtp' | 'imap' | 'pop3' | 'sieve' | 'https';

export interface CertificateInfo {
  /** DNS names the certificate is served for (A-labels, lower case; `*.` wildcards kept). */
  names: string[];
  /** Issuer DN on one line, as `CN=R11, O=Let's Encrypt, C=US`. */
  issuer: string;
  subject: string;
  notBefore: Date;
  notAfter: Date;
  /** `<certsDir>/live/<name>`, the explicit cert file path, or `self-signed:<selfSignedDir>`. */
  source: string;
  selfSigned: boolean;
  /** This certificate answers unknown or missing SNI. */
  isDefault: boolean;
  /** SHA-256 of the DER certificate, colon-separated hex as Node prints it. */
  fingerprint256: string;
}

export interface ReloadResult {
  /** Certificates read from files successfully in this pass. */
  loaded: number;
  /** One line per source that failed; its previous certificate, if any, is still served. */
  errors: string[];
}

export interface RegistryOptions {
  /** Watch certificate files (fs.watch plus a poll) and reload on change. Default true. */
  watch?: boolean;
  /** Poll interval in ms when watching; 0 turns the poll off. Default 5000. */
  pollMs?: number;
  /** Use fs.watch when watching (default true); false leaves only the poll, for file systems where inotify misses events. */
  fsWatch?: boolean;
  /** Hosted domains known at start, so a first self-signed certificate covers them without a second generation (same as setHostedDomains). */
  hostedDomains?: string[];
  /** Clock for validity decisions (tests). */
  now?: () => Date;
}

export interface CertificateRegistry {
  /** SNICallback for tls.createServer, new tls.TLSSocket and smtp-server; always answers with a context. */
  sniCallback(servername: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void): void;
  /** The context for a name (undefined or unknown: the default certificate's). */
  contextFor(servername: string | undefined): tls.SecureContext;
  /** The certificate chain (PEM, leaf first) served for a name, as contextFor chooses it (DANE TLSA records, the doctor). */
  certificateFor(servername: string | undefined): string;
  /**
   * Options to pass to tls.createServer, new tls.TLSSocket(..., {isServer:true})
   * and smtp-server: SNICallback, the default key/cert (and its secureContext),
   * minVersion TLSv1.2, maxVersion TLSv1.3, strong ciphers, honorCipherOrder,
   * and the ALPN policy of the protocol (ALPNCallback). smtp-server does not
   * pass ALPN options to the sockets it upgrades; see README in index.ts.
   */
  serverOptions(protocol: TlsProtocol): tls.TlsOptions;
  /** Every certificate in use, real ones first (load order), then the self-signed one if present. */
  list(): CertificateInfo[];
  /** Re-reads every file; a bad file keeps its previous certificate and is reported. */
  reload(): Promise<ReloadResult>;
  /**
   * Hosted domains: the self-signed certificate (used only while no real
   * certificate is loaded at all) covers the host name and these domains
   * (and `mail.`+domain); it is regenerated when the set grows.
   */
  setHostedDomains(domains: string[]): Promise<void>;
  /**
   * Called after a reload changed what is served. Listeners that keep a
   * static default context (tls.Server, smtp-server) refresh it here, since a
   * client without SNI never reaches SNICallback. Returns an unsubscribe.
   */
  onChange(listener: () => void): () => void;
  /** Stops watching; contexts already handed out keep working. */
  close(): void;
}
