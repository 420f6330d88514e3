/*
 * The searchable text of a message, computed once from its bytes and MIME
 * index, for IMAP SEARCH (TEXT, BODY, SUBJECT, FROM, TO, CC, BCC, HEADER),
 * and the SORT and THREAD keys, which delivery computes alone (from the
 * header only) while the text waits for the search indexer.
 *
 * Exports: SearchDocument, searchDocument, searchKeys, sentDayOf,
 * EMPTY_SEARCH_DOCUMENT.
 * Security: reads untrusted bytes; every part read is capped
 * (SEARCH_PART_MAX_BYTES in limits.ts), the text kept is capped
 * (SEARCH_TEXT_MAX_CHARS, SEARCH_HEADER_MAX_CHARS), HTML reduction is one linear pass (preview.ts);
 * never throws on hostile input (a failing charset decoder gives Latin-1).
 * Standards: RFC 9051 section 6.4.4 (what TEXT, BODY and the header keys
 * look at), RFC 2045 (transfer encodings), RFC 2046 (charset), RFC 2047
 * (encoded words in header values), RFC 2231 (file names), RFC 5256
 * (addr-mailbox of the first From/To/Cc address as sort key).
 * Choices: the body text is every text/* leaf (attachments included, HTML
 * reduced to its text), the header fields of attached messages, and the
 * file names of the other parts; other binary parts are skipped.
 */
import libmime from 'libmime';
import { readHeaderFields, type HeaderField } from './header-fields.js';
import { paramValue } from './part-header.js';
import { stripHtml } from './preview.js';
import { decodeTextPart } from './text-part.js';
import { SEARCH_HEADER_MAX_CHARS, SEARCH_PART_MAX_BYTES, SEARCH_TEXT_MAX_CHARS } from './limits.js';
import { headerBlock } from './sections.js';
import type { BlobSearchKeys, BlobSearchText } from '../store/types.js';
import type { EnvelopeAddress, MessageIndex, MimePart } from './types.js';

/** The store's shape of a blob's search text (store/types.ts), which this module computes. */
export type SearchDocument = BlobSearchText;

/** The document of a message that cannot be read: it matches no text and sorts with empty keys. */
export const EMPTY_SEARCH_DOCUMENT: SearchDocument = Object.freeze({
  header: '', body: '', subject: '', from: '', to: '', cc: '', bcc: '', sentDate: null, sentDay: null,
  messageId: null, inReplyTo: null, references: null, fromMailbox: null, toMailbox: null, ccMailbox: null,
});

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function decodeWords(value: string): string {
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}

class Capped {
  text = '';
  constructor(private readonly max: number) {}
  get full(): boolean {
    return this.text.length >= this.max;
  }
  add(s: string): void {
    if (this.full || s === '') return;
    const room = this.max - this.text.length;
    this.text += (s.length > room ? s.slice(0, room) : s) + '\n';
  }
}

function firstMailbox(list: EnvelopeAddress[] | null): string | null {
  for (const a of list ?? []) if (a.mailbox !== null && a.host !== null) return a.mailbox;
  return null;
}

/** yyyymmdd of an RFC 5322 date as written (its own zone), else of the parsed instant in UTC. */
export function sentDayOf(raw: string | null, parsed: number | null): number | null {
  if (raw !== null) {
    const m = /(\d{1,2})\s+([A-Za-z]{3})[a-z]*\s+(\d{2,4})/.exec(raw.slice(0, 256));
    if (m) {
      const month = MONTHS.indexOf(m[2]!.toLowerCase());
      let year = Number(m[3]);
      if (m[3]!.length === 2) year += year < 50 ? 2000 : 1900;
      else if (m[3]!.length === 3) year += 1900;
      const day = Number(m[1]);
      if (month >= 0 && day >= 1 && day <= 31) return year * 10000 + (month + 1) * 100 + day;
    }
  }
  if (parsed === null) return null;
  const d = new Date(parsed);
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

function partText(message: Buffer, part: MimePart): string {
  const text = decodeTextPart(message, part, SEARCH_PART_MAX_BYTES);
  // Tags become spaces: collapse the runs so a phrase across markup still matches.
  return part.subtype === 'html' ? stripHtml(text).replace(/\s+/g, ' ') : text;
}

function fieldsText(fields: readonly HeaderField[], out: Capped): void {
  for (const f of fields) out.add(`${f.name}: ${decodeWords(f.value)}`);
}

/** Decoded values of the named header field, one per line (every occurrence). */
function named(fields: readonly HeaderField[], name: string): string {
  return fields.filter((f) => f.name.toLowerCase() === name).map((f) => decodeWords(f.value)).join('\n').slice(0, SEARCH_HEADER_MAX_CHARS);
}

function keysOf(fields: readonly HeaderField[], index: MessageIndex): BlobSearchKeys {
  const raw = (name: string): string | null => fields.find((f) => f.name.toLowerCase() === name)?.value.slice(0, 16 * 1024) ?? null;
  const env = index.envelope;
  return {
    subject: named(fields, 'subject'),
    sentDate: index.summary.date,
    sentDay: sentDayOf(env.date, index.summary.date),
    messageId: index.summary.messageId,
    inReplyTo: raw('in-reply-to'),
    references: raw('references'),
    fromMailbox: firstMailbox(env.from),
    toMailbox: firstMailbox(env.to),
    ccMailbox: firstMailbox(env.cc),
  };
}

/** The SORT and THREAD keys of a message, from its header alone (what delivery stores). */
export function searchKeys(message: Buffer, index: MessageIndex): BlobSearchKeys {
  return keysOf(readHeaderFields(headerBlock(message, index.root)), index);
}

/** The search document of a message; index is its stored MIME index. */
export function searchDocument(message: Buffer, index: MessageIndex): SearchDocument {
  const fields = readHeaderFields(headerBlock(message, index.root));
  const header = new Capped(SEARCH_HEADER_MAX_CHARS);
  fieldsText(fields, header);

  const body = new Capped(SEARCH_TEXT_MAX_CHARS);
  const stack: MimePart[] = [index.root];
  while (stack.length > 0 && !body.full) {
    const part = stack.pop()!;
    if (part.message === undefined && part.children === undefined) {
      const name = paramValue(part.disposition?.params ?? [], 'filename') ?? paramValue(part.params, 'name');
      if (name !== undefined) body.add(decodeWords(name));
    }
    if (part.children !== undefined) {
      for (let i = part.children.length - 1; i >= 0; i--) stack.push(part.children[i]!);
    } else if (part.message !== undefined) {
      fieldsText(readHeaderFields(headerBlock(message, part.message.root)), body);
      stack.push(part.message.root);
    } else if (part.type === 'text') {
      try {
        body.add(partText(message, part));
      } catch {
        // hostile bytes a decoder refused: the part is not searchable
      }
    }
  }
  return {
    ...keysOf(fields, index),
    header: header.text,
    body: body.text,
    from: named(fields, 'from'),
    to: named(fields, 'to'),
    cc: named(fields, 'cc'),
    bcc: named(fields, 'bcc'),
  };
}
