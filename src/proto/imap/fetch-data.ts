/*
 * FETCH response data that is wire syntax rather than message content: item
 * names (`BODY[1.HEADER.FIELDS (FROM)]<0>`) and INTERNALDATE/SAVEDATE text.
 * ENVELOPE, BODY and BODYSTRUCTURE values come from src/mime/imap-structure.ts
 * (built from the index stored at delivery) and go through encodeValue.
 *
 * Exports: formatSection, formatFetchItemName, formatInternalDate, toSectionSpec,
 * toPartialRange.
 * Security: names are built from parsed, validated requests only.
 * Standards: RFC 9051 section 7.5.2 (FETCH response names), RFC 3516
 * (BINARY names).
 */
import type { FetchItem, Partial, Section } from './parse/fetch.js';

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

/** A parsed section in the flat shape src/mime/imap-sections.ts reads (SectionSpec), without importing it. */
export function toSectionSpec(section: Section): {
  part: number[];
  kind?: 'HEADER' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT' | 'TEXT' | 'MIME';
  fields?: string[];
} {
  const t = section.text;
  if (!t) return { part: section.part };
  if (t.kind === 'HEADER.FIELDS') return { part: section.part, kind: t.not ? 'HEADER.FIELDS.NOT' : 'HEADER.FIELDS', fields: t.fields };
  return { part: section.part, kind: t.kind };
}

/** `<offset.length>` in the shape src/mime's PartialRange uses. */
export function toPartialRange(partial: Partial): { start: number; length: number } {
  return { start: partial.offset, length: partial.length };
}
