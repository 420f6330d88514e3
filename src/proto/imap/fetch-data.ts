/*
 * FETCH response data: item names, INTERNALDATE, ENVELOPE and BODY /
 * BODYSTRUCTURE values built from typed structures the mailbox layer fills
 * from the index stored at delivery.
 *
 * Exports: formatSection, formatFetchItemName, formatInternalDate,
 * envelopeValue, Envelope, EnvelopeAddress, bodyStructureValue, BodyPart.
 * Security: strings end up in the core serialiser (literal when they hold
 * CR/LF); recursion over parts is bounded by the MIME index depth cap.
 * Standards: RFC 9051 section 7.5.2 (FETCH data, BODYSTRUCTURE), RFC 3516
 * (BINARY names).
 */
import type { ImapValue } from './encoder.js';
import type { FetchItem, Section } from './parse/fetch.js';

const ATOM_RE = /^[!#$&'+-Z^-z|}~\x5b]+$/;

/** BODY[section] response name part, e.g. `1.HEADER.FIELDS (FROM TO)`. */
export function formatSection(section: Section): string {
  const parts: string[] = section.part.map(String);
  const t = section.text;
  if (t) {
    if (t.kind === 'HEADER.FIELDS') {
      const fields = t.fields.map((f) => (ATOM_RE.test(f) ? f.toUpperCase() : '"' + f.replace(/[\\"]/g, '\\$&') + '"'));
      parts.push(`HEADER.FIELDS${t.not ? '.NOT' : ''} (${fields.join(' ')})`);
    } else parts.push(t.kind);
  }
  return parts.join('.');
}

/** Response name of a requested FETCH item: `.PEEK` dropped, partial shown as its origin only (RFC 9051 section 7.5.2). */
export function formatFetchItemName(item: FetchItem): string {
  switch (item.kind) {
    case 'BODY[]':
      return `BODY[${formatSection(item.section)}]${item.partial ? `<${item.partial.offset}>` : ''}`;
    case 'BINARY[]':
      return `BINARY[${item.part.join('.')}]${item.partial ? `<${item.partial.offset}>` : ''}`;
    case 'BINARY.SIZE':
      return `BINARY.SIZE[${item.part.join('.')}]`;
    default:
      return item.kind;
  }
}

/** `"17-Jul-1996 02:44:25 -0700"` for INTERNALDATE/SAVEDATE; the zone offset (minutes east of UTC) is the caller's choice. */
export function formatInternalDate(date: Date, offsetMinutes = 0): string {
  const d = new Date(date.getTime() + offsetMinutes * 60_000);
  const p2 = (n: number) => String(n).padStart(2, '0');
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${p2(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${sign}${p2(Math.floor(abs / 60))}${p2(abs % 60)}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export interface EnvelopeAddress {
  name: string | null;
  /** Source route (obsolete); almost always null. */
  adl: string | null;
  /** Local part, or the group name in a group start marker (host null). */
  mailbox: string | null;
  host: string | null;
}

export interface Envelope {
  date: string | null;
  subject: string | null;
  from: EnvelopeAddress[];
  sender: EnvelopeAddress[];
  replyTo: EnvelopeAddress[];
  to: EnvelopeAddress[];
  cc: EnvelopeAddress[];
  bcc: EnvelopeAddress[];
  inReplyTo: string | null;
  messageId: string | null;
}

const addresses = (list: EnvelopeAddress[]): ImapValue => (list.length ? list.map((a) => [a.name, a.adl, a.mailbox, a.host]) : null);

/** ENVELOPE as a value (RFC 9051 section 7.5.2); empty address lists are NIL. */
export function envelopeValue(e: Envelope): ImapValue {
  return [e.date, e.subject, addresses(e.from), addresses(e.sender), addresses(e.replyTo), addresses(e.to), addresses(e.cc), addresses(e.bcc), e.inReplyTo, e.messageId];
}

export interface BodyPart {
  /** Lower or upper case as stored; e.g. "text", "multipart". */
  type: string;
  subtype: string;
  params: Array<[string, string]>;
  id: string | null;
  description: string | null;
  encoding: string;
  size: number;
  /** Lines of text/* and message/rfc822 parts. */
  lines?: number;
  /** message/rfc822 (and message/global): the encapsulated message. */
  envelope?: Envelope;
  body?: BodyPart;
  /** multipart/*: the children. */
  parts?: BodyPart[];
  md5?: string | null;
  disposition?: { type: string; params: Array<[string, string]> } | null;
  language?: string[] | null;
  location?: string | null;
}

const params = (list: Array<[string, string]>): ImapValue => (list.length ? list.flat() : null);

/** BODYSTRUCTURE (extended = true) or BODY (false) as a value (RFC 9051 section 7.5.2). */
export function bodyStructureValue(part: BodyPart, extended: boolean): ImapValue {
  const ext = (): ImapValue[] =>
    extended
      ? [part.disposition ? [part.disposition.type, params(part.disposition.params)] : null, part.language?.length ? part.language : null, part.location ?? null]
      : [];
  if (part.parts && part.parts.length) {
    const kids = { adjacent: part.parts.map((p) => bodyStructureValue(p, extended)) };
    return [kids, part.subtype, ...(extended ? [params(part.params), ...ext()] : [])];
  }
  const out: ImapValue[] = [part.type, part.subtype, params(part.params), part.id, part.description, part.encoding, part.size];
  const isMessage = part.type.toLowerCase() === 'message' && (part.subtype.toLowerCase() === 'rfc822' || part.subtype.toLowerCase() === 'global');
  if (isMessage && part.envelope && part.body) out.push(envelopeValue(part.envelope), bodyStructureValue(part.body, extended), part.lines ?? 0);
  else if (part.type.toLowerCase() === 'text') out.push(part.lines ?? 0);
  if (extended) out.push(part.md5 ?? null, ...ext());
  return out;
}
