/*
 * GETMETADATA [(options)] mailbox entries, SETMETADATA mailbox (entry value ...).
 *
 * Exports: parseGetMetadata, parseSetMetadata, GetMetadataArgs, SetMetadataArgs.
 * Security: parses untrusted client input; entry names are validated here
 * (must start with /private/ or /shared/, no `*`, `%`, `//` or trailing `/`)
 * so they never reach a store unchecked.
 * Standards: RFC 5464 sections 4.2-4.3 (mailbox "" is the server).
 */
import type { Reader } from '../reader.js';

export interface GetMetadataArgs {
  mailbox: string;
  maxSize: number | null;
  depth: '0' | '1' | 'infinity';
  entries: string[];
}

export interface SetMetadataArgs {
  mailbox: string;
  /** value null removes the entry. */
  entries: Array<{ entry: string; value: Buffer | null }>;
}

const ENTRY_RE = /^\/(private|shared)(\/[\x21-\x7e]+)*$/i;

function entry(r: Reader): string {
  const e = r.astring();
  if (!ENTRY_RE.test(e) || /[*%]|\/\/|\/$/.test(e)) throw r.error('bad metadata entry name');
  return e.toLowerCase();
}

function mailboxOrServer(r: Reader): string {
  if (r.lookahead('""')) {
    r.string();
    return '';
  }
  return r.mailbox();
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
  const mailbox = mailboxOrServer(r);
  r.sp();
  const entries = r.is('(') ? r.list(() => entry(r), false) : [entry(r)];
  return { mailbox, maxSize, depth, entries };
}

export function parseSetMetadata(r: Reader): SetMetadataArgs {
  r.sp();
  const mailbox = mailboxOrServer(r);
  r.sp();
  const entries: SetMetadataArgs['entries'] = [];
  r.open();
  for (;;) {
    const e = entry(r);
    r.sp();
    const value = r.keyword('NIL') ? null : r.stringBytes(true);
    entries.push({ entry: e, value });
    if (entries.length > 100) throw r.error('too many metadata entries', 'limit');
    if (r.is(')')) break;
    r.sp();
  }
  r.close();
  return { mailbox, entries };
}
