/*
 * What the network checks of the doctor probe: the listeners of this
 * server (from the configuration: role, where to connect, which TLS, which
 * protocol), whether this is the development profile (self-signed is then
 * only worth a note), extra names clients use (an internal name such as
 * "dovecot" that a certificate may not hold), and an account to test
 * logins with.
 *
 * Exports: ServiceEndpoint, NetworkFacts, NetworkDeps, TlsProbeOptions,
 * HttpAnswer, NetworkCheck.
 * Security: none; see the probes.
 */
import type tls from 'node:tls';
import type { DomainFacts, DoctorDeps, Finding, HostFacts } from '../types.js';
import type { LineClient, TlsView } from '../probe/line-client.js';

export interface ServiceEndpoint {
  /** The configuration role: mx, submission, submissions, imap, imaps, pop3, pop3s, http, https, lmtp. */
  role: string;
  /** Where the doctor connects (a wildcard listen address becomes loopback). */
  host: string;
  port: number;
  security: 'plain' | 'starttls' | 'implicit';
  protocol: 'smtp' | 'lmtp' | 'imap' | 'pop3' | 'http';
}

export interface NetworkFacts {
  endpoints: ServiceEndpoint[];
  /** Listeners on loopback only, self-signed certificates: expected, worth a note, not an error. */
  development: boolean;
  /** Names clients use besides the public ones (internal names, container names). */
  extraNames: string[];
  /** A test account for the login checks (J03); without it they are skipped. */
  credentials?: { user: string; pass: string };
  /** Free bytes on the data directory's file system, free memory. */
  disk: { freeBytes: number; totalBytes: number };
  memory: { freeBytes: number; totalBytes: number };
  /** Where A05 tries an outgoing SMTP connection (a large provider's MX, or the smarthost); without it A05 is not made. */
  outboundProbe?: { host: string; port: number; smarthost: boolean; implicitTls?: boolean };
  /**
   * The other servers this one depends on, for A04: the DNS resolvers every lookup goes to, and the hosts of
   * [[outbound.route]] entries that name one (mx = false).
   */
  peers?: { resolvers: string[]; routes: { domain: string; host: string; port: number }[] };
  /** Per hosted domain: whether postmaster@ and abuse@ deliver somewhere (A11). */
  roleAddresses: Record<string, { postmaster: boolean; abuse: boolean }>;
}

export interface HttpAnswer {
  status: number;
  contentType: string;
  body: string;
}

export interface TlsProbeOptions {
  servername: string;
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  ciphers?: string;
  alpn?: string[];
}

export interface NetworkDeps extends DoctorDeps {
  /**
   * Opens a session to an endpoint and negotiates TLS as it does
   * (STARTTLS after the greeting, or implicit): the client (after TLS,
   * greeted again where the protocol needs it), what the server said before
   * TLS, and the TLS session; an Error when TLS could not be made.
   */
  openTls(endpoint: ServiceEndpoint, options: TlsProbeOptions): Promise<{ client: LineClient; tls: TlsView; before: string }>;
  /** Opens a plain session and returns the greeting. */
  openPlain(endpoint: ServiceEndpoint): Promise<{ client: LineClient; greeting: string }>;
  /** Which process listens on a TCP port (Linux /proc), for a listener Petrel could not bind. */
  portHolder(port: number): Promise<string | undefined>;
  /** An HTTPS request to an endpoint with this name (SNI and Host), certificate not verified. */
  https(endpoint: ServiceEndpoint, request: { name: string; path: string; method?: 'GET' | 'POST'; body?: string }): Promise<HttpAnswer>;
  /** Asks one resolver (HOST:PORT) for name: undefined when it answered (records or a denial), else what went wrong. */
  askResolver(server: string, name: string): Promise<string | undefined>;
  /** A probe message from domain signed on the real signing path (E07), or undefined when the domain has no key. */
  signProbe(domain: string): Promise<Buffer | undefined>;
}

export type NetworkCheck = (host: HostFacts, domains: readonly DomainFacts[], net: NetworkFacts, deps: NetworkDeps) => Promise<Finding[]>;
