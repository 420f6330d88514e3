/*
 * The DNS checks of `petrel doctor`, the public surface of this folder:
 * every host check (the mail host's own names and addresses) and every
 * domain check (one hosted domain's records), in report order. The runner
 * (../index.ts) calls these; nothing else here is meant to be imported
 * from outside.
 *
 * Exports: dnsDomainChecks, dnsHostChecks, DnsCheckOptions.
 * Security: see each check; all DNS comes through the injected DoctorDeps.
 */
import type { DomainCheck, HostCheck } from '../types.js';
import { caaDomainCheck, caaHostCheck } from './caa.js';
import { daneCheck } from './dane.js';
import { dkimCheck } from './dkim.js';
import { dmarcCheck } from './dmarc.js';
import { dnssecCheck } from './dnssec.js';
import { domainBlocklistCheck, hostAddressCheck, ipBlocklistCheck } from './host.js';
import { mtaStsCheck, tlsRptCheck } from './mta-sts.js';
import { mxCheck } from './mx.js';
import { heloSpfCheck, spfCheck } from './spf.js';
import { srvCheck } from './srv.js';

export interface DnsCheckOptions {
  /** Development and loopback test zones: private and loopback addresses are noted, not errors (C04, B01, B02). */
  allowPrivate?: boolean;
  /** The IP blocklist zone asked for A07 (zen.spamhaus.org); a test zone in end-to-end tests. */
  zen?: string;
  /** The domain blocklist zone asked for A08 (dbl.spamhaus.org). */
  dbl?: string;
}

/** The checks of one hosted domain: MX, SPF, DKIM, DMARC, MTA-STS and TLS-RPT, DNSSEC, CAA, client SRV records, the domain blocklist. */
export function dnsDomainChecks(options: DnsCheckOptions = {}): DomainCheck[] {
  return [mxCheck({ allowPrivate: options.allowPrivate }), spfCheck, dkimCheck, dmarcCheck, mtaStsCheck, tlsRptCheck, dnssecCheck, caaDomainCheck, srvCheck, domainBlocklistCheck({ zone: options.dbl })];
}

/** The checks of the mail host itself: its addresses and reverse DNS, the IP blocklist, the HELO name's SPF, DNSSEC and DANE, CAA. */
export function dnsHostChecks(options: DnsCheckOptions = {}): HostCheck[] {
  return [hostAddressCheck({ allowPrivate: options.allowPrivate }), ipBlocklistCheck({ zone: options.zen }), heloSpfCheck, daneCheck, caaHostCheck];
}
