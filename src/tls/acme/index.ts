/*
 * Petrel's ACME client: certificates from Let's Encrypt or any RFC 8555
 * CA, proven by HTTP-01 (through the AcmeStore, which the [http] listener
 * serves) or DNS-01 (RFC 2136 updates, dns/update.ts), written into the
 * certificate registry's Let's Encrypt directory, renewed on a schedule,
 * with DANE key rollover.
 *
 *   const manager = new AcmeManager({
 *     settings: acmeSettingsFrom(config.acme, config.hostname),
 *     certsDir, store: stores.store.acme, logger,
 *     dns: config.acme.challenge === 'dns-01' ? dnsUpdaterFromConfig(config.acme.dns_update) : undefined,
 *     onIssued: () => registry.reload(),
 *   });
 *   const wanted = () => certificateRequestsFor({ hostname, domains, clientHost: published.clientHost });
 *   const scheduler = startRenewalScheduler({ job: () => manager.renewDue(wanted()), logger });
 *   // petrel cert issue: manager.issue(request); petrel cert renew: manager.renewDue()
 *   // petrel dns plan: manager.daneKeys(name) -> TLSA 3 1 1 for current and next
 *   // after the next key's TLSA is visible: manager.rollover(name, isPublished)
 *
 * Exports: AcmeManager, AcmeManagerOptions, acmeSettingsFrom,
 * certificateRequestsFor, normalizeRequest, startRenewalScheduler,
 * RenewalScheduler, Timers, renewAt, isDue, spkiSha256, isAcmeToken, the
 * layout's file names and readers (livePaths, listLineages, readCapped),
 * the limits, and the types.
 *
 * Security: see manager.ts, client.ts, order.ts, layout.ts.
 * Standards: RFC 8555, RFC 2136 + RFC 8945 (DNS-01), RFC 6698 / RFC 7671 (DANE).
 */
export { AcmeManager, acmeSettingsFrom, type AcmeManagerOptions } from './manager.js';
export { certificateRequestsFor, normalizeRequest } from './names.js';
export { startRenewalScheduler, renewAt, isDue, type RenewalScheduler, type Timers } from './schedule.js';
export { spkiSha256 } from './keys.js';
export { isAcmeToken } from './challenges.js';
export { FULLCHAIN_FILE, PRIVKEY_FILE, NEXT_PRIVKEY_FILE, STATE_FILE, livePaths, listLineages, readCapped, type LivePaths } from './layout.js';
export * from './limits.js';
export type * from './types.js';
