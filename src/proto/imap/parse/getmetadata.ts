/*
 * GETMETADATA [(MAXSIZE n DEPTH d)] mailbox entries.
 *
 * Exports: parseGetMetadata, GetMetadataArgs.
 * Security: parses untrusted client input through the bounded Reader.
 * Standards: RFC 5464 section 4.2.
 */
import type { Reader } from '../reader.js';
import { parseMetadataEntry, parseMetadataMailbox } from './metadata-entry.js';

export interface GetMetadataArgs {
  mailbox: string;
  maxSize: number | null;
  depth: '0' | '1' | 'infinity';
  entries: string[];
}

export function parseGetMetadata(r: Reader): GetMetadataArgs {
  r.sp();
  let maxSize: number | null = null;
  let depth: GetMetadataArgs['depth'] = '0';
  if (r.is('(')) {
    r.open();
    for (;;) {
      if (r.keyword('MAXSIZE')) {
        r.sp();
        maxSize = r.number();
      } else if (r.keyword('DEPTH')) {
        r.sp();
        const d = r.atom().toLowerCase();
        if (d !== '0' && d !== '1' && d !== 'infinity') throw r.error('bad depth');
        depth = d;
      } else throw r.error('unknown metadata option');
      if (r.is(')')) break;
      r.sp();
    }
    r.close();
    r.sp();
  }
  const mailbox = parseMetadataMailbox(r);
  r.sp();
  const entries = r.is('(') ? r.list(() => parseMetadataEntry(r), false) : [parseMetadataEntry(r)];
  return { mailbox, maxSize, depth, entries };
}
