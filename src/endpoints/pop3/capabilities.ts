/*
 * The POP3 capabilities (CAPA) for a session's state: USER and SASL PLAIN
 * only where login is allowed (over TLS), STLS only where it can happen.
 *
 * Exports: sessionCapabilities, IMPLEMENTATION.
 * Security: no login mechanism is advertised on a plaintext connection.
 * Standards: RFC 2449 (CAPA, TOP, UIDL, USER, SASL, RESP-CODES,
 * PIPELINING, IMPLEMENTATION), RFC 3206 (AUTH-RESP-CODE), RFC 2595 (STLS),
 * RFC 5034 (SASL). EXPIRE and LOGIN-DELAY are not advertised: neither is
 * enforced.
 */
import type { Pop3State } from '../../proto/pop3/index.js';

export const IMPLEMENTATION = 'Petrel';

export function sessionCapabilities(state: Pop3State, secure: boolean, canStartTls: boolean): string[] {
  const caps = ['TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING'];
  if (state === 'authorization') {
    if (secure) caps.push('USER', 'SASL PLAIN');
    if (canStartTls) caps.push('STLS');
  }
  caps.push(`IMPLEMENTATION ${IMPLEMENTATION}`);
  return caps;
}
