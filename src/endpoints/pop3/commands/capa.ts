/*
 * CAPA: the capabilities for the session's state (capabilities.ts).
 *
 * Exports: capa.
 * Security: shows no login mechanism before TLS on 110.
 * Standards: RFC 2449 section 5.
 */
import { encodeMultiline } from '../../../proto/pop3/index.js';
import type { Handler } from '../context.js';

export const capa: Handler<'CAPA'> = (s) => {
  s.send(encodeMultiline('Capability list follows', s.capabilities()));
};
