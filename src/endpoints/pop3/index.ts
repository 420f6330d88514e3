/*
 * Public surface of the POP3 endpoint: the listeners (110 with STLS, 995
 * with implicit TLS) and the maildrop lock table they share.
 *
 * Exports: Pop3Endpoint, Pop3EndpointDeps, Pop3Security, MaildropLocks,
 * SHARED_MAILDROP_LOCKS, uidlOf.
 * Security: see endpoint.ts and session.ts.
 * Standards: RFC 1939, RFC 2449, RFC 2595, RFC 3206, RFC 5034, RFC 8314.
 */
export { Pop3Endpoint } from './endpoint.js';
export type { Pop3EndpointDeps, Pop3Security } from './endpoint.js';
export { MaildropLocks, SHARED_MAILDROP_LOCKS } from './locks.js';
export { uidlOf } from './maildrop.js';
