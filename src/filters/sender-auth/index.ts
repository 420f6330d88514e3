/*
 * Sender authentication of incoming mail (issue 6): SPF, DKIM, DMARC and
 * ARC by mailauth over Petrel's DNS, the DMARC policy applied, one
 * Authentication-Results field. ARC sealing of mail we forward is
 * sender-auth/arc-seal.ts.
 *
 * Exports: senderAuthFilter and its settings; the Authentication-Results
 * formatter and the DMARC pieces, for the doctor and the tests.
 */
export { senderAuthFilter, type SenderAuthDeps } from './filter.js';
export { DEFAULT_SENDER_AUTH_SETTINGS, senderAuthSettingsFrom, type SenderAuthSettings } from './settings.js';
export { authenticationResults, noAuthenticationResults, type AuthResultsInput } from './auth-results.js';
export { aligned, authorDomains, orgDomain, readDmarcTags, type AuthorDomains, type DmarcOutcome, type Policy } from './dmarc.js';
