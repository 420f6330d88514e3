/*
 * STORE sequence-set [(UNCHANGEDSINCE n)] [+|-]FLAGS[.SILENT] flags.
 *
 * Exports: parseStore, StoreArgs.
 * Security: parses untrusted client input through the bounded Reader.
 * Standards: RFC 9051 section 6.4.6, RFC 7162 section 3.1.3.
 */
import type { Reader, SequenceSet } from '../reader.js';

export interface StoreArgs {
  set: SequenceSet;
  unchangedSince: bigint | null;
  operation: 'add' | 'remove' | 'replace';
  silent: boolean;
  flags: string[];
}

export function parseStore(r: Reader): StoreArgs {
  r.sp();
  const set = r.sequenceSet();
  r.sp();
  let unchangedSince: bigint | null = null;
  if (r.is('(')) {
    r.list(() => {
      if (!r.keyword('UNCHANGEDSINCE')) throw r.error('unknown store modifier');
      r.sp();
      unchangedSince = r.number64();
    }, false);
    r.sp();
  }
  const operation = r.skip('+') ? 'add' : r.skip('-') ? 'remove' : 'replace';
  const item = r.atom().toUpperCase();
  if (item !== 'FLAGS' && item !== 'FLAGS.SILENT') throw r.error('expected FLAGS');
  r.sp();
  let flags: string[];
  if (r.is('(')) flags = r.flagList();
  else {
    flags = [r.flag()];
    while (r.maybeSp()) flags.push(r.flag());
  }
  return { set, unchangedSince, operation, silent: item === 'FLAGS.SILENT', flags };
}
