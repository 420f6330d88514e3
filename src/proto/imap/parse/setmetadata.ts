/*
 * SETMETADATA mailbox (entry value ...); a NIL value removes the entry.
 *
 * Exports: parseSetMetadata, SetMetadataArgs.
 * Security: parses untrusted client input through the bounded Reader; at most
 * MAX_METADATA_ENTRIES entries, each value bounded by the literal limit.
 * Standards: RFC 5464 section 4.3.
 */
import type { Reader } from '../reader.js';
import { MAX_METADATA_ENTRIES } from '../limits.js';
import { parseMetadataEntry, parseMetadataMailbox } from './metadata-entry.js';

export interface SetMetadataArgs {
  mailbox: string;
  /** value null removes the entry. */
  entries: Array<{ entry: string; value: Buffer | null }>;
}

export function parseSetMetadata(r: Reader): SetMetadataArgs {
  r.sp();
  const mailbox = parseMetadataMailbox(r);
  r.sp();
  const entries: SetMetadataArgs['entries'] = [];
  r.open();
  for (;;) {
    const e = parseMetadataEntry(r);
    r.sp();
    const value = r.keyword('NIL') ? null : r.stringBytes(true);
    entries.push({ entry: e, value });
    if (entries.length > MAX_METADATA_ENTRIES) throw r.error('too many metadata entries', 'limit');
    if (r.is(')')) break;
    r.sp();
  }
  r.close();
  return { mailbox, entries };
}
