/*
 * Public surface of a user's Sieve scripts above the store: names, the
 * compile-once-when-stored service and its limits. ManageSieve and the
 * `petrel sieve` command use it; delivery reads the store's active script.
 *
 * Exports: SieveScripts, SieveScriptSettings, CheckOutcome, PutOutcome,
 * SpaceOutcome, formatDiagnostic, checkScriptName, ScriptNameResult,
 * MAX_SCRIPT_NAME_BYTES.
 * Security: see service.ts and names.ts.
 * Standards: RFC 5804, RFC 5228.
 */
export { SieveScripts, formatDiagnostic } from './service.js';
export type { CheckOutcome, PutOutcome, SieveScriptSettings, SpaceOutcome } from './service.js';
export { MAX_SCRIPT_NAME_BYTES, checkScriptName } from './names.js';
export type { ScriptNameResult } from './names.js';
