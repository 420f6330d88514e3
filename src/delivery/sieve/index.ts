/*
 * Sieve at local delivery: the public surface of delivery/sieve/.
 *
 * Exports: SieveDelivery and its types, SIEVE_REDIRECT_MARKER, the env
 * adapter helpers (spamtestOf, virustestOf), applyHeaderEdits.
 * Security: see deliver.ts.
 */
export { SieveDelivery, SIEVE_REDIRECT_MARKER, type SieveDeliveryDeps, type SieveDeliveryInput, type SievePlan, type SievePlannedCopy } from './deliver.js';
export { spamtestOf, virustestOf, type SieveFilterFacts } from './env.js';
export { applyHeaderEdits } from './edit.js';
