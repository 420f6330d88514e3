/*
 * Public surface of the ManageSieve endpoint: the 4190 listener (STARTTLS).
 *
 * Exports: ManageSieveEndpoint, ManageSieveEndpointDeps, IMPLEMENTATION.
 * Security: see endpoint.ts and session.ts.
 * Standards: RFC 5804.
 */
export { ManageSieveEndpoint } from './endpoint.js';
export type { ManageSieveEndpointDeps } from './endpoint.js';
export { IMPLEMENTATION } from './capabilities.js';
