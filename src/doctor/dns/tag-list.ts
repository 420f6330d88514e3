/*
 * The tag=value list of DKIM key records (RFC 6376 section 3.2), which
 * DMARC (RFC 7489 section 6.4) and TLS-RPT (RFC 8460 section 3) records
 * share: tags separated by ";", white space allowed around names, "="
 * and values, a trailing ";" allowed, a repeated tag making the list
 * invalid. Pure.
 *
 * Exports: parseTagList, TagList, Tag.
 * Security: parses zone-supplied text; at most MAX_TAGS tags are kept,
 * the text is bounded by the caller (MAX_RECORD_OCTETS).
 * Standards: RFC 6376 section 3.2 (tag-list, tag-name = ALPHA
 * *ALNUMPUNC, VALCHAR = %x21-3A / %x3C-7E, duplicates invalid).
 */
import { MAX_RECORD_OCTETS, MAX_TAGS } from './limits.js';

export interface Tag {
  /** As written (DKIM tag names are case-sensitive). */
  name: string;
  /** Trimmed; inner white space kept. */
  value: string;
  /** 1-based character position of the tag's name. */
  position: number;
}

export interface TagList {
  tags: Tag[];
  /** The list ends with ";" (legal, RFC 6376 3.2). */
  trailingSemicolon: boolean;
  /** Tag names given more than once (the whole list is then invalid). */
  duplicates: string[];
  /** Syntax errors, each with its position. */
  problems: string[];
}

const TAG_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const VALUE = /^[\x21-\x3a\x3c-\x7e]+(?:[ \t\r\n]+[\x21-\x3a\x3c-\x7e]+)*$/;

export function parseTagList(input: string): TagList {
  const text = input.slice(0, MAX_RECORD_OCTETS);
  const out: TagList = { tags: [], trailingSemicolon: /;[ \t\r\n]*$/.test(text), duplicates: [], problems: [] };
  const seen = new Set<string>();
  let offset = 0;
  const specs = text.split(';');
  if (out.trailingSemicolon) specs.pop();
  for (const spec of specs) {
    const position = offset + 1 + (spec.length - spec.trimStart().length);
    offset += spec.length + 1;
    if (spec.trim() === '') {
      out.problems.push(`an empty tag (";;") at character ${position}`);
      continue;
    }
    const eq = spec.indexOf('=');
    if (eq < 0) {
      out.problems.push(`"${spec.trim()}" at character ${position} is not tag=value`);
      continue;
    }
    const name = spec.slice(0, eq).trim();
    const value = spec.slice(eq + 1).trim();
    if (!TAG_NAME.test(name)) out.problems.push(`"${name}" at character ${position} is not a tag name`);
    else if (value !== '' && !VALUE.test(value)) out.problems.push(`the value of ${name}= at character ${position} has characters a tag value cannot hold`);
    if (seen.has(name)) {
      if (!out.duplicates.includes(name)) out.duplicates.push(name);
      continue;
    }
    seen.add(name);
    if (out.tags.length < MAX_TAGS) out.tags.push({ name, value, position });
  }
  return out;
}
