/*
 * DKIM canonicalization (RFC 6376 section 3.4), shared by the signer
 * (dkim-sign.ts) and the verifier (filters/sender-auth/dkim-verify.ts).
 * Text is Latin-1 throughout: every byte maps to one character and back,
 * so what is hashed is exactly the bytes of the message.
 *
 * Exports: relaxedField, simpleBody, relaxedBody.
 * Security: inputs are untrusted message bytes, bounded upstream by the
 * message size limit; the regular expressions are linear (no nested
 * quantifiers over the same characters).
 * Standards: RFC 6376 sections 3.4.1 to 3.4.4.
 */

/** Relaxed header canonicalization of one field given without its final CRLF, with the CRLF (section 3.4.2). */
export function relaxedField(raw: string): string {
  const colon = raw.indexOf(':');
  const name = raw.slice(0, colon).trim().toLowerCase();
  const value = raw
    .slice(colon + 1)
    .replace(/\r\n(?=[ \t])/g, '')
    .replace(/[ \t]+/g, ' ')
    .trim();
  return `${name}:${value}\r\n`;
}

/** Simple body canonicalization (section 3.4.3): trailing empty lines go; an empty body is one CRLF. */
export function simpleBody(body: string): string {
  const trimmed = body.replace(/(?:\r\n)+$/, '');
  return `${trimmed}\r\n`;
}

/** Relaxed body canonicalization (section 3.4.4). */
export function relaxedBody(body: string): string {
  // Whole-body replacements instead of a split per line, touching only what changes: runs of two or more
  // blanks, or a tab, become one space (a lone space, in every line of prose, is left alone); then blanks
  // before a line end go.
  const squeezed = body.replace(/\t[ \t]*| [ \t]+/g, ' ').replace(/ (?=\r\n|$)/g, '');
  const trimmed = squeezed.replace(/(?:\r\n)+$/, '');
  return trimmed === '' ? '' : `${trimmed}\r\n`;
}
