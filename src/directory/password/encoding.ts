/*
 * Strict decoders for the encodings found in stored hashes: standard base64
 * (with or without padding, as Dovecot and the PHC string format write it)
 * and hex. Node's own decoders skip characters they do not know; these refuse
 * them, so a damaged hash is reported as malformed instead of being compared.
 *
 * Exports: decodeBase64Strict, decodeHexStrict, encodeBase64NoPad.
 * Security: reads stored hashes (directory data, possibly imported).
 * Standards: RFC 4648 section 4 (base64) and 8 (base16); the PHC string
 * format (base64 without padding).
 */

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/** Decodes canonical standard base64; padding optional. Undefined if malformed. */
export function decodeBase64Strict(text: string): Buffer | undefined {
  if (!BASE64.test(text)) return undefined;
  const bare = text.replace(/=+$/, '');
  if (bare.length % 4 === 1) return undefined;
  if (text.length !== bare.length && text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(bare, 'base64');
  // Canonical: unused trailing bits must be zero, so re-encoding gives the same text.
  if (encodeBase64NoPad(bytes) !== bare) return undefined;
  return bytes;
}

/** Decodes hex of even length, either case. Undefined if malformed. */
export function decodeHexStrict(text: string): Buffer | undefined {
  return HEX.test(text) ? Buffer.from(text, 'hex') : undefined;
}

/** Standard base64 without `=` padding, as in PHC strings. */
export function encodeBase64NoPad(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}
