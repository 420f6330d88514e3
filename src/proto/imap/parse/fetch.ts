/*
 * FETCH sequence-set (macro | item | (items)) [(CHANGEDSINCE n [VANISHED])].
 *
 * Exports: parseFetch, parseSection, FetchArgs, FetchItem, Section, SectionText, Partial.
 * Security: parses untrusted client input through the bounded Reader; part
 * numbers and header-field lists are capped.
 * Standards: RFC 9051 section 6.4.5, RFC 3516 (BINARY), RFC 7162 (MODSEQ,
 * CHANGEDSINCE, VANISHED), RFC 8474 (EMAILID, THREADID), RFC 8970 (PREVIEW),
 * RFC 8514 (SAVEDATE), RFC 3501 (RFC822.*).
 */
import type { Reader, SequenceSet } from '../reader.js';
import { MAX_HEADER_FIELDS, MAX_SECTION_PART_DEPTH } from '../limits.js';

export type SectionText =
  | { kind: 'HEADER' }
  | { kind: 'HEADER.FIELDS'; fields: string[]; not: boolean }
  | { kind: 'TEXT' }
  | { kind: 'MIME' };

/** BODY[...] section: part path (may be empty) and optional text specifier. */
export interface Section {
  part: number[];
  text: SectionText | null;
}

export interface Partial {
  offset: number;
  length: number;
}

export type FetchItem =
  | { kind: 'ENVELOPE' | 'FLAGS' | 'INTERNALDATE' | 'RFC822.SIZE' | 'UID' | 'MODSEQ' | 'EMAILID' | 'THREADID' | 'SAVEDATE' }
  | { kind: 'RFC822' | 'RFC822.HEADER' | 'RFC822.TEXT' }
  | { kind: 'BODY'; structure: false }
  | { kind: 'BODYSTRUCTURE' }
  | { kind: 'BODY[]'; section: Section; peek: boolean; partial: Partial | null }
  | { kind: 'BINARY[]'; part: number[]; peek: boolean; partial: Partial | null }
  | { kind: 'BINARY.SIZE'; part: number[] }
  | { kind: 'PREVIEW'; lazy: boolean };

export interface FetchArgs {
  set: SequenceSet;
  items: FetchItem[];
  changedSince: bigint | null;
  vanished: boolean;
}

const SIMPLE = ['ENVELOPE', 'FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'UID', 'MODSEQ', 'EMAILID', 'THREADID', 'SAVEDATE', 'RFC822', 'RFC822.HEADER', 'RFC822.TEXT', 'BODYSTRUCTURE'] as const;

const MACROS: Record<string, FetchItem[]> = {
  ALL: [{ kind: 'FLAGS' }, { kind: 'INTERNALDATE' }, { kind: 'RFC822.SIZE' }, { kind: 'ENVELOPE' }],
  FAST: [{ kind: 'FLAGS' }, { kind: 'INTERNALDATE' }, { kind: 'RFC822.SIZE' }],
  FULL: [{ kind: 'FLAGS' }, { kind: 'INTERNALDATE' }, { kind: 'RFC822.SIZE' }, { kind: 'ENVELOPE' }, { kind: 'BODY', structure: false }],
};

/** section-part = nz-number *("." nz-number); `textAllowed`: a "." may be followed by a text keyword instead. */
function partPath(r: Reader, textAllowed: boolean): number[] {
  const part: number[] = [];
  while (r.peek() >= 0x30 && r.peek() <= 0x39) {
    if (part.length >= MAX_SECTION_PART_DEPTH) throw r.error('part path too deep', 'limit');
    part.push(r.nzNumber());
    if (!r.skip('.')) return part;
    if (!(r.peek() >= 0x30 && r.peek() <= 0x39) && !textAllowed) throw r.error('bad section part');
  }
  if (part.length && r.is(']')) throw r.error('bad section part');
  return part;
}

/** Parses `[section-spec]` including the brackets. */
export function parseSection(r: Reader): Section {
  r.expect('[');
  const part = partPath(r, true);
  let text: SectionText | null = null;
  if (!r.is(']')) {
    const kw = r.atomUntil(']').toUpperCase();
    if (kw === 'HEADER') text = { kind: 'HEADER' };
    else if (kw === 'TEXT') text = { kind: 'TEXT' };
    else if (kw === 'MIME' && part.length > 0) text = { kind: 'MIME' };
    else if (kw === 'HEADER.FIELDS' || kw === 'HEADER.FIELDS.NOT') {
      r.sp();
      const fields = r.list(() => r.astring(), false);
      if (fields.length > MAX_HEADER_FIELDS) throw r.error('too many header fields', 'limit');
      text = { kind: 'HEADER.FIELDS', fields, not: kw.endsWith('.NOT') };
    } else throw r.error('bad section');
  }
  r.expect(']');
  return { part, text };
}

function partial(r: Reader): Partial | null {
  if (!r.skip('<')) return null;
  const offset = r.number();
  r.expect('.');
  const length = r.nzNumber();
  r.expect('>');
  return { offset, length };
}

function fetchItem(r: Reader): FetchItem {
  const name = r.atomUntil('[<').toUpperCase();
  const simple = SIMPLE.find((x) => x === name);
  if (simple) return { kind: simple } as FetchItem;
  switch (name) {
    case 'BODY':
    case 'BODY.PEEK':
      if (!r.is('[')) {
        if (name === 'BODY.PEEK') throw r.error('BODY.PEEK needs a section');
        return { kind: 'BODY', structure: false };
      }
      return { kind: 'BODY[]', section: parseSection(r), peek: name === 'BODY.PEEK', partial: partial(r) };
    case 'BINARY':
    case 'BINARY.PEEK':
    case 'BINARY.SIZE': {
      r.expect('[');
      const part = partPath(r, false);
      r.expect(']');
      if (name === 'BINARY.SIZE') return { kind: 'BINARY.SIZE', part };
      return { kind: 'BINARY[]', part, peek: name === 'BINARY.PEEK', partial: partial(r) };
    }
    case 'PREVIEW': {
      // RFC 8970: PREVIEW may carry a modifier list, e.g. PREVIEW (LAZY).
      let lazy = false;
      if (r.lookahead(' (LAZY')) {
        r.sp();
        r.list(() => {
          if (!r.keyword('LAZY')) throw r.error('unknown preview modifier');
          lazy = true;
        }, false);
      }
      return { kind: 'PREVIEW', lazy };
    }
    default:
      throw r.error('unknown fetch item');
  }
}

export function parseFetch(r: Reader): FetchArgs {
  r.sp();
  const set = r.sequenceSet();
  r.sp();
  let items: FetchItem[];
  if (r.is('(')) items = r.list(() => fetchItem(r), false);
  else {
    const macro = ['ALL', 'FAST', 'FULL'].find((m) => r.keyword(m));
    items = macro ? MACROS[macro]!.slice() : [fetchItem(r)];
  }
  let changedSince: bigint | null = null;
  let vanished = false;
  if (r.maybeSp()) {
    r.list(() => {
      if (r.keyword('CHANGEDSINCE')) {
        r.sp();
        changedSince = r.number64();
      } else if (r.keyword('VANISHED')) vanished = true;
      else throw r.error('unknown fetch modifier');
    }, false);
    if (vanished && changedSince === null) throw r.error('VANISHED needs CHANGEDSINCE');
  }
  return { set, items, changedSince, vanished };
}
