/*
 * The bytes of an IMAP BODY[section]<partial>, cut from the stored message
 * with the offsets of its MIME index.
 *
 * Exports: SectionSpec, PartialRange, sectionBytes, sectionTarget.
 * Security: section numbers, field names and ranges come from the client;
 * a section that names no part gives an empty buffer, a range is clipped,
 * nothing throws. Work is bounded by the header block of one part (for
 * HEADER.FIELDS) and the list of field names, which the parser limits.
 * Standards: RFC 9051 and RFC 3501 section 6.4.5: parts numbered from 1,
 * part 1 of a non-multipart message is its body, numbers after a
 * message/rfc822 part count the parts of the encapsulated message; HEADER,
 * HEADER.FIELDS, HEADER.FIELDS.NOT and TEXT of the whole message or of a
 * message/rfc822 part refer to the (encapsulated) message; MIME is the
 * part's own header block; HEADER.FIELDS (.NOT) returns the selected fields
 * as written, in their original order, followed by the blank line;
 * `<start.length>` returns the octets from start, at most length of them.
 * Choices: HEADER or TEXT of a part that is not an encapsulated message,
 * and MIME without a part number, are empty; the blank line added after
 * HEADER.FIELDS is CRLF.
 */
import { readHeaderFields } from './header-fields.js';
import { findPart } from './sections.js';
import type { MessageIndex, MimePart } from './types.js';

export interface SectionSpec {
  /** Part number, empty for the whole message. */
  part: number[];
  kind?: 'HEADER' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT' | 'TEXT' | 'MIME';
  /** Field names for HEADER.FIELDS and HEADER.FIELDS.NOT, any case. */
  fields?: string[];
}

export interface PartialRange {
  start: number;
  length: number;
}

const CRLF = Buffer.from('\r\n');
const EMPTY = Buffer.alloc(0);

/**
 * The part a section's bytes come from: for HEADER, HEADER.FIELDS (.NOT)
 * and TEXT the root of the (encapsulated) message, otherwise the part
 * itself. Undefined when the section names nothing.
 */
export function sectionTarget(index: MessageIndex, section: SectionSpec): MimePart | undefined {
  const part = findPart(index.root, section.part);
  if (part === undefined) return undefined;
  switch (section.kind) {
    case undefined:
      return part;
    case 'MIME':
      return section.part.length === 0 ? undefined : part;
    default:
      // HEADER or TEXT: the message itself, or the message a message/rfc822 part holds
      if (section.part.length === 0) return part;
      return part.message?.root;
  }
}

/** BODY[section]<partial>: the octets the client asked for. Empty when the section names nothing. */
export function sectionBytes(message: Buffer, index: MessageIndex, section: SectionSpec, partial?: PartialRange): Buffer {
  const whole = wholeSection(message, index, section);
  if (partial === undefined) return whole;
  const start = Math.max(0, Math.floor(partial.start));
  const length = Math.max(0, Math.floor(partial.length));
  if (!Number.isFinite(start) || start >= whole.length) return EMPTY;
  return whole.subarray(start, Math.min(whole.length, start + length));
}

function wholeSection(message: Buffer, index: MessageIndex, section: SectionSpec): Buffer {
  if (section.part.length === 0 && section.kind === undefined) return message;
  const part = sectionTarget(index, section);
  if (part === undefined) return EMPTY;
  switch (section.kind) {
    case undefined:
    case 'TEXT':
      return slice(message, part.bodyStart, part.bodyEnd);
    case 'HEADER':
    case 'MIME':
      return slice(message, part.headerStart, part.bodyStart);
    case 'HEADER.FIELDS':
    case 'HEADER.FIELDS.NOT':
      return selectFields(slice(message, part.headerStart, part.bodyStart), section.fields ?? [], section.kind === 'HEADER.FIELDS');
  }
}

function slice(message: Buffer, start: number, end: number): Buffer {
  const from = Math.min(Math.max(0, start), message.length);
  return message.subarray(from, Math.min(Math.max(from, end), message.length));
}

/** The fields of a header block whose names are (or, with keep false, are not) in `names`, then CRLF. */
function selectFields(block: Buffer, names: readonly string[], keep: boolean): Buffer {
  const wanted = new Set<string>();
  for (const name of names) wanted.add(name.toLowerCase());
  const chunks: Buffer[] = [];
  for (const field of readHeaderFields(block)) {
    if (wanted.has(field.name.toLowerCase()) !== keep) continue;
    chunks.push(block.subarray(field.start, field.end));
    const last = block[field.end - 1];
    if (last !== 0x0a) chunks.push(CRLF); // a field ending the block without a line break
  }
  chunks.push(CRLF);
  return Buffer.concat(chunks);
}
