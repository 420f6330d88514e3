/*
 * IMAP section numbers to parts of an index, and header block slices.
 *
 * Exports: findPart, headerBlock.
 * Security: pure lookups on an index built by indexer.ts; a section number
 * from a client that names no part gives undefined, never an exception.
 * Standards: RFC 3501 section 6.4.5 and RFC 9051 section 6.4.5 (part
 * specifiers): the parts of a multipart are numbered from 1; a message that
 * is not multipart has one part, 1, its body; the numbers after a
 * message/rfc822 part's number are those of the encapsulated message.
 */
import type { MimePart } from './types.js';

/** The part a section number names; the empty section is the whole message (the root). */
export function findPart(root: MimePart, section: number[]): MimePart | undefined {
  let part = root;
  // `part` is the root of a message (the top one or an encapsulated one) whose parts the next number counts
  let isMessageRoot = true;
  for (const n of section) {
    if (!Number.isInteger(n) || n < 1) return undefined;
    for (;;) {
      if (part.children !== undefined) {
        const child = part.children[n - 1];
        if (child === undefined) return undefined;
        part = child;
        isMessageRoot = false;
        break;
      }
      if (isMessageRoot) {
        if (n !== 1) return undefined;
        isMessageRoot = false; // part 1 of a message that is not multipart is its body: the same part
        break;
      }
      if (part.message === undefined) return undefined;
      part = part.message.root;
      isMessageRoot = true;
    }
  }
  return part;
}

/** The header block of a part, its blank separator line included: what BODY[HEADER] and BODY[n.MIME] return. */
export function headerBlock(message: Buffer, part: MimePart): Buffer {
  return message.subarray(part.headerStart, part.bodyStart);
}
