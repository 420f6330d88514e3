/*
 * What a stored password string is, for operators and migration tools:
 * its scheme, whether we can verify it, whether it is current, and if not,
 * why not.
 *
 * Exports: PasswordInspection, inspectPassword, passwordScheme.
 * Security: reads directory data; computes no hash; the detail text may
 * name parameters but never contains the hash or a password, so it can be
 * logged. It must not be shown to a peer.
 * Standards: Dovecot scheme names.
 */
import { isCurrentArgon2 } from './argon2.js';
import { parseStoredPassword, type PasswordProblem } from './parse.js';

export type PasswordInspection =
  | { usable: true; scheme: string; current: boolean }
  | { usable: false; scheme: string | undefined; problem: PasswordProblem; detail: string };

export function inspectPassword(stored: string): PasswordInspection {
  const parsed = parseStoredPassword(stored);
  if (!parsed.ok) return { usable: false, scheme: parsed.scheme, problem: parsed.problem, detail: parsed.detail };
  return { usable: true, scheme: parsed.hash.scheme, current: isCurrentArgon2(parsed.hash) };
}

/**
 * The Dovecot name of the algorithm a stored string uses ('ARGON2ID',
 * 'SHA512-CRYPT', 'SSHA512', 'PLAIN'...), without encoding suffix; for
 * {CRYPT} and bare crypt strings, the algorithm the string names. Undefined
 * when the scheme is unknown or one we do not support.
 */
export function passwordScheme(stored: string): string | undefined {
  const parsed = parseStoredPassword(stored);
  return parsed.ok ? parsed.hash.scheme : parsed.scheme;
}
