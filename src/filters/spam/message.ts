/*
 * What the spam rules and the Bayes tokenizer read of a message, computed
 * once per message: the top-level header fields, the decoded subject and
 * From, the text of the text parts (HTML reduced to its text too), the raw
 * HTML parts, and the file names of the other parts.
 *
 * Exports: MessageView, readMessage.
 * Security: reads the untrusted message through the MIME indexer (which
 * bounds structure and never throws); at most MAX_TEXT_PARTS text parts,
 * each at most MAX_PART_BYTES, are decoded; attached messages are read
 * as their parts are (a forwarded spam is spam).
 * Standards: RFC 5322 (fields), RFC 2045-2047 (MIME, encoded words).
 */
import libmime from 'libmime';
import { parseAddressList } from '../../mime/address-list.js';
import { readHeaderFields, type HeaderField } from '../../mime/header-fields.js';
import { indexMessage } from '../../mime/indexer.js';
import { paramValue } from '../../mime/part-header.js';
import { stripHtml } from '../../mime/preview.js';
import { headerBlock } from '../../mime/sections.js';
import { decodeTextPart } from '../../mime/text-part.js';
import type { EnvelopeAddress, MimePart } from '../../mime/types.js';
import { MAX_PART_BYTES, MAX_TEXT_PARTS } from './limits.js';

export interface MessageView {
  /** The top-level header fields, in order. */
  fields: HeaderField[];
  /** Every value of a field (name in any case), unfolded, not decoded. */
  all(name: string): string[];
  /** Its first value, or undefined. */
  first(name: string): string | undefined;
  /** The Subject, RFC 2047 words decoded ('' when absent). */
  subject: string;
  /** The addresses of the first From field, display names decoded; [] when absent or unreadable. */
  from: EnvelopeAddress[];
  /** The text of every text part read, HTML parts reduced to their text, one part per line. */
  text: string;
  /** The HTML parts as written (for the HTML rules and the links) and their text. */
  html: { source: string; text: string }[];
  /** How many text/plain and text/html parts were read. */
  plainParts: number;
  /** File names of the other leaf parts (attachments), decoded. */
  attachmentNames: string[];
  /** The message as it came (sanitized), for the few tests of raw bytes (GTUBE). */
  bytes: Buffer;
}

const decodeWords = (v: string): string => {
  try {
    return libmime.decodeWords(v);
  } catch {
    return v;
  }
};

/** Reads a message (CRLF or LF lines); the header ends at the first blank line. */
export function readMessage(bytes: Buffer): MessageView {
  const index = indexMessage(bytes);
  const fields = readHeaderFields(headerBlock(bytes, index.root));
  const all = (name: string) => {
    const n = name.toLowerCase();
    return fields.filter((f) => f.name.toLowerCase() === n).map((f) => f.value);
  };
  const texts: string[] = [];
  const html: MessageView['html'] = [];
  const attachmentNames: string[] = [];
  let plainParts = 0;
  const stack: MimePart[] = [index.root];
  while (stack.length > 0) {
    const part = stack.pop()!;
    if (part.children !== undefined) {
      for (let i = part.children.length - 1; i >= 0; i--) stack.push(part.children[i]!);
      continue;
    }
    if (part.message !== undefined) {
      stack.push(part.message.root);
      continue;
    }
    const name = paramValue(part.disposition?.params ?? [], 'filename') ?? paramValue(part.params, 'name');
    const readable = part.type === 'text' && (part.subtype === 'plain' || part.subtype === 'html') && part.disposition?.type !== 'attachment';
    if (!readable || texts.length >= MAX_TEXT_PARTS) {
      if (name !== undefined) attachmentNames.push(decodeWords(name));
      continue;
    }
    const text = decodeTextPart(bytes, part, MAX_PART_BYTES);
    if (part.subtype === 'html') {
      const reduced = stripHtml(text).replace(/\s+/g, ' ').trim();
      html.push({ source: text, text: reduced });
      texts.push(reduced);
    } else {
      plainParts++;
      texts.push(text);
    }
  }
  const fromValue = all('from')[0];
  const from = (fromValue !== undefined ? parseAddressList(fromValue) : null) ?? [];
  return {
    fields,
    all,
    first: (name) => all(name)[0],
    subject: decodeWords(all('subject')[0] ?? ''),
    from: from.filter((a) => a.mailbox !== null).map((a) => ({ ...a, name: a.name === null ? null : decodeWords(a.name) })),
    text: texts.join('\n'),
    html,
    plainParts,
    attachmentNames,
    bytes,
  };
}
