/*
 * The public types of Petrel's ACME client: what to certify, the settings
 * it runs with, the DNS-01 port it needs, and what each operation reports.
 *
 * Exports: CertificateRequest, CertificateKeyType, ChallengeType,
 * AcmeSettings, Dns01Publisher, ManagedState, ManagedCertificate,
 * IssueResult, RenewalOutcome, RolloverResult, DaneKeys.
 *
 * Security: types only.
 * Standards: RFC 8555 (challenge types), RFC 6698 (TLSA 3 1 1 data).
 */

/** One certificate: the directory under <certsDir>/live/ and the names it covers (A-labels; `*.` wildcards need DNS-01). */
export interface CertificateRequest {
  /** The directory name under live/ (certbot's "lineage"), usually the first name. */
  name: string;
  names: readonly string[];
}

/** The certificate key. RSA 2048 is the default: see keys.ts for why. */
export type CertificateKeyType = 'rsa-2048' | 'ecdsa-p256';

export type ChallengeType = 'http-01' | 'dns-01';

/** The [acme] section as the manager uses it. */
export interface AcmeSettings {
  directoryUrl: string;
  /** The account contact; empty means none. */
  email: string;
  challenge: ChallengeType;
  /** Renew this long before notAfter (plus up to RENEW_JITTER_MAX_MS). */
  renewBeforeMs: number;
}

/** How DNS-01 records get into the zone: dns/update.ts's DnsUpdater is one (RFC 2136). */
export interface Dns01Publisher {
  /** Adds one TXT record to whatever the name already has. */
  addTxt(name: string, value: string, ttl: number): Promise<void>;
  /** Deletes exactly this TXT record. */
  removeTxt(name: string, value: string): Promise<void>;
}

/** What the manager keeps next to each certificate it manages (live/<name>/petrel-acme.json). */
export interface ManagedState {
  version: 1;
  names: string[];
  /** The CA directory that issued it. */
  directoryUrl: string;
  /** Renew this much before renew_before says (drawn once per issuance). */
  renewJitterMs: number;
  /** The next key's TLSA is published: the next issuance switches to it. */
  rolloverPending: boolean;
  /** Milliseconds since the epoch. */
  issuedAt: number;
}

/** A managed certificate as status() reports it. */
export interface ManagedCertificate {
  name: string;
  names: string[];
  notBefore: Date;
  notAfter: Date;
  /** When renewal is due (notAfter - renew_before - jitter). */
  renewAt: Date;
  issuer: string;
  /** The TLSA 3 1 1 data of the current and the next key. */
  dane: DaneKeys;
  rolloverPending: boolean;
  /** The chain and key on disk match (false after a crash between the two writes: the next run reissues). */
  consistent: boolean;
}

/** SHA-256 of a key's SubjectPublicKeyInfo, lower-case hex: the data of a TLSA 3 1 1 record. Null: no such key (yet). */
export interface DaneKeys {
  current: string | null;
  next: string | null;
}

export interface IssueResult {
  name: string;
  names: string[];
  notAfter: Date;
  /** The key changed to the one that was next (a rollover). */
  rolledOver: boolean;
  dane: DaneKeys;
}

export type RenewalOutcome =
  | { name: string; outcome: 'issued'; result: IssueResult }
  | { name: string; outcome: 'renewed'; result: IssueResult }
  | { name: string; outcome: 'not-due'; renewAt: Date }
  /** A failure earlier is still in its back-off. */
  | { name: string; outcome: 'waiting'; retryAt: Date }
  | { name: string; outcome: 'failed'; error: string; retryAt: Date };

export type RolloverResult =
  /** The next key's TLSA is not visible yet: nothing changed. */
  | { name: string; outcome: 'not-published'; next: string }
  | { name: string; outcome: 'rolled'; previous: string | null; result: IssueResult };
