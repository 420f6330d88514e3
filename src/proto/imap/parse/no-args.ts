/*
 * Commands without arguments: CAPABILITY, NOOP, LOGOUT, STARTTLS, IDLE, CLOSE, UNSELECT, CHECK, NAMESPACE, EXPUNGE (non-UID).
 *
 * Exports: parseNoArgs, NoArgs.
 * Security: parses untrusted client input through the bounded Reader.
 * Standards: RFC 9051 sections 6.1.1-6.1.3, 6.2.1, 6.3.13, 6.3.10, 6.4.1, 6.4.2, 6.4.3; RFC 3501 CHECK; RFC 2177 IDLE; RFC 2342 NAMESPACE.
 */
import type { Reader } from '../reader.js';

export type NoArgs = Record<string, never>;

export function parseNoArgs(_r: Reader): NoArgs {
  return {};
}
