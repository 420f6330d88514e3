/*
 * LOGIN userid password.
 *
 * Exports: parseLogin, LoginArgs.
 * Security: parses untrusted client input through the bounded Reader.
 * Standards: RFC 9051 section 6.2.3.
 */
import type { Reader } from '../reader.js';

export interface LoginArgs {
  username: string;
  password: string;
}

export function parseLogin(r: Reader): LoginArgs {
  r.sp();
  const username = r.astring();
  r.sp();
  const password = r.astring();
  return { username, password };
}
