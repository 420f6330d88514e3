/*
 * Public surface of the IMAP server endpoint (not yet wired into src/app).
 *
 * Exports: ImapEndpoint, ImapEndpointDeps, ImapSecurity, the session
 * limits, sessionCapabilities.
 * Security: see endpoint.ts and session.ts.
 * Standards: RFC 9051, RFC 3501 and the extensions in capabilities.ts.
 */
export { ImapEndpoint } from './endpoint.js';
export type { ImapEndpointDeps, ImapSecurity } from './endpoint.js';
export { sessionCapabilities } from './capabilities.js';
export * from './limits.js';
