/*
 * Shared grammar of the METADATA commands: entry names and the mailbox
 * argument where "" means the server.
 *
 * Exports: parseMetadataEntry, parseMetadataMailbox.
 * Security: entry names are validated here (must start with /private/ or
 * /shared/, no `*`, `%`, `//` or trailing `/`) so they never reach a store
 * unchecked.
 * Standards: RFC 5464 section 3.2 (entry names) and section 4.
 */
import type { Reader } from '../reader.js';

const ENTRY_RE = /^\/(private|shared)(\/[\x21-\x7e]+)*$/i;

export function parseMetadataEntry(r: Reader): string {
  const e = r.astring();
  if (!ENTRY_RE.test(e) || /[*%]|\/\/|\/$/.test(e)) throw r.error('bad metadata entry name');
  return e.toLowerCase();
}

export function parseMetadataMailbox(r: Reader): string {
  if (r.lookahead('""')) {
    r.string();
    return '';
  }
  return r.mailbox();
}

