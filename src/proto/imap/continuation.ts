/*
 * Lines a client sends while a command is in progress, outside the command
 * grammar: the IDLE terminator and AUTHENTICATE (SASL) responses.
 *
 * Exports: isIdleDone, parseAuthResponse, AuthResponse.
 * Security: untrusted lines from the framer's idle/authenticate modes (already
 * length-capped there); malformed SASL data ends only that exchange (the
 * session answers BAD for the AUTHENTICATE command and carries on).
 * Standards: RFC 2177 section 3 (DONE), RFC 9051 section 6.2.2 (base64
 * responses, "*" cancels), RFC 4959 ("=" is an empty response).
 */

/** True for the `DONE` line that ends IDLE (case-insensitive, no other text). */
export function isIdleDone(line: Buffer): boolean {
  return line.length === 4 && line.toString('latin1').toUpperCase() === 'DONE';
}

export type AuthResponse = { kind: 'cancel' } | { kind: 'data'; data: Buffer } | { kind: 'invalid' };

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes one AUTHENTICATE response line: `*` cancels, `=` or empty is no data, otherwise strict base64. */
export function parseAuthResponse(line: Buffer): AuthResponse {
  const s = line.toString('latin1');
  if (s === '*') return { kind: 'cancel' };
  if (s === '' || s === '=') return { kind: 'data', data: Buffer.alloc(0) };
  if (!BASE64.test(s)) return { kind: 'invalid' };
  return { kind: 'data', data: Buffer.from(s, 'base64') };
}
