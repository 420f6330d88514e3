/*
 * AUTHENTICATE mechanism [initial-response] (SASL-IR).
 *
 * Exports: parseAuthenticate, AuthenticateArgs.
 * Security: parses untrusted client input through the bounded Reader.
 * Standards: RFC 9051 section 6.2.2, RFC 4959 (SASL-IR, "=" for an empty response).
 */
import type { Reader } from '../reader.js';

export interface AuthenticateArgs {
  /** Upper-case SASL mechanism name. */
  mechanism: string;
  /** Base64 initial response as sent; '' for "=", null when absent. */
  initialResponse: string | null;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function parseAuthenticate(r: Reader): AuthenticateArgs {
  r.sp();
  const mechanism = r.atom().toUpperCase();
  let initialResponse: string | null = null;
  if (r.maybeSp()) {
    const ir = r.restOfLine();
    if (ir === '=') initialResponse = '';
    else if (ir.length > 0 && BASE64.test(ir)) initialResponse = ir;
    else throw r.error('bad initial response');
  }
  return { mechanism, initialResponse };
}
