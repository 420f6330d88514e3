/*
 * The sender-auth filter's settings, with their defaults, and the mapping
 * of the [sender_auth] section onto them. The filter never reads the
 * configuration itself.
 *
 * Exports: SenderAuthSettings, DEFAULT_SENDER_AUTH_SETTINGS,
 * senderAuthSettingsFrom.
 * Security: operator input only.
 */
import type { Config } from '../../config/schema.js';

export interface SenderAuthSettings {
  /** The authserv-id of our Authentication-Results field ([filters] authserv_id, else the hostname). */
  authservId: string;
  /**
   * DNS questions one message may cause for SPF, DKIM and ARC, both stages together; past it every question is a
   * temperror. The From domain's own zone (DMARC record, DKIM keys) has AUTHOR_QUERIES of its own. Default 100.
   */
  maxDnsQueries: number;
  /** Time one message may spend waiting for those answers; the From domain's own zone has as long again. Default 10 s. */
  dnsTimeoutMs: number;
  /**
   * DNS trouble that leaves a verdict undecided (the From domain's DMARC record, or an aligned identifier, could not be
   * looked up): "tempfail" refuses with 451 4.4.3 so the sender retries; "temperror" only records it and accepts.
   * Never a permanent refusal. Default tempfail.
   */
  dnsError: 'tempfail' | 'temperror';
  /** Where a message goes whose From domain asks for quarantine (p=quarantine): the recipient's Junk, or our quarantine. Default junk. */
  dmarcQuarantine: 'junk' | 'quarantine';
  /** Refuse at MAIL FROM (550 5.7.1) when SPF fails. Default false: DMARC decides, as most operators leave it. */
  spfFailReject: boolean;
  /** RSA keys shorter than this do not verify (RFC 8301: 1024). */
  minKeyBits: number;
}

export const DEFAULT_SENDER_AUTH_SETTINGS: SenderAuthSettings = Object.freeze({
  authservId: 'localhost',
  maxDnsQueries: 100,
  dnsTimeoutMs: 10_000,
  dnsError: 'tempfail',
  dmarcQuarantine: 'junk',
  spfFailReject: false,
  minKeyBits: 1024,
}) as SenderAuthSettings;

/** [sender_auth] as the filter reads it; authservId is [filters] authserv_id or the hostname. */
export function senderAuthSettingsFrom(section: Config['sender_auth'], authservId: string): SenderAuthSettings {
  return {
    authservId,
    maxDnsQueries: section.max_dns_queries,
    dnsTimeoutMs: section.dns_timeout,
    dnsError: section.dns_error,
    dmarcQuarantine: section.dmarc_quarantine,
    spfFailReject: section.spf_fail_reject,
    minKeyBits: section.min_key_bits,
  };
}
