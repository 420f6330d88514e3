/*
 * Virus scanning with ClamAV's clamd (issue 6, "Viruses"): the filter, its
 * settings and the clamd client (also used by the tests to wait for a
 * clamd to answer PING).
 *
 * Exports: clamavFilter and its settings; ClamdClient and the protocol
 * codec's outcome type.
 */
export { clamavFilter, type ClamavDeps } from './filter.js';
export { clamavSettingsFrom, DEFAULT_CLAMAV_SETTINGS, type ClamavSettings } from './settings.js';
export { ClamdClient, parseClamdAddress, type ClamdAddress, type ClamdClientOptions, type ClamdConnect } from './client.js';
export { parseClamdReply, type ScanOutcome, type UnscannedReason } from './protocol.js';
