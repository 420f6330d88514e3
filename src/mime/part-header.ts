/*
 * Fills a part's content fields (type, parameters, id, description,
 * encoding, MD5, disposition, language, location) from its header fields.
 *
 * Exports: newPart, applyContentFields, paramValue.
 * Security: reads untrusted header values through the parsers of
 * content-params.ts; never throws.
 * Standards: RFC 2045 section 5.2 (the default text/plain; charset=us-ascii,
 * also when Content-Type is not valid), RFC 2046 section 5.1.5 (the default
 * message/rfc822 inside multipart/digest), RFC 2183, RFC 2557 (location),
 * RFC 3282 (language), RFC 1864 (MD5). The first of a repeated field is used.
 */
import { parseContentType, parseDisposition, parseEncoding, parseLanguageList } from './content-params.js';
import type { HeaderField } from './header-fields.js';
import type { MimePart } from './types.js';

/** A part starting at `headerStart` with the RFC 2045 defaults, before its header is read. */
export function newPart(headerStart: number): MimePart {
  return {
    headerStart,
    bodyStart: headerStart,
    bodyEnd: headerStart,
    bodyLines: 0,
    binarySize: 0,
    type: 'text',
    subtype: 'plain',
    params: [['charset', 'us-ascii']],
    id: null,
    description: null,
    encoding: null,
    md5: null,
    disposition: null,
    language: null,
    location: null,
  };
}

export function applyContentFields(part: MimePart, fields: readonly HeaderField[], inDigest: boolean): void {
  let contentType: string | undefined;
  const seen = new Set<string>();
  for (const field of fields) {
    const name = field.name.toLowerCase();
    if (!name.startsWith('content-') || seen.has(name)) continue;
    seen.add(name);
    const value = field.value;
    switch (name) {
      case 'content-type':
        contentType = value;
        break;
      case 'content-id':
        part.id = value;
        break;
      case 'content-description':
        part.description = value;
        break;
      case 'content-transfer-encoding':
        part.encoding = parseEncoding(value);
        break;
      case 'content-md5':
        part.md5 = value;
        break;
      case 'content-disposition':
        part.disposition = parseDisposition(value);
        break;
      case 'content-language':
        part.language = parseLanguageList(value);
        break;
      case 'content-location':
        part.location = value;
        break;
      default:
        break;
    }
  }
  const parsed = contentType === undefined ? null : parseContentType(contentType);
  if (parsed !== null) {
    part.type = parsed.type;
    part.subtype = parsed.subtype;
    part.params = parsed.params;
  } else if (inDigest) {
    part.type = 'message';
    part.subtype = 'rfc822';
    part.params = [];
  } else {
    part.type = 'text';
    part.subtype = 'plain';
    part.params = [['charset', 'us-ascii']];
  }
}

/** The value of a parameter by lower-case name, or undefined. */
export function paramValue(params: readonly [string, string][], name: string): string | undefined {
  for (const [key, value] of params) if (key === name) return value;
  return undefined;
}
