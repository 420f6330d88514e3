/*
 * Password hashing and verification for mail accounts: the public surface.
 *
 * New hashes are Argon2id in Dovecot's {ARGON2ID} format; verification takes
 * what operators bring from Dovecot and PostfixAdmin (Argon2, SHA-crypt,
 * bcrypt, MD5-crypt, salted and plain SHA-2, plaintext), and says when a
 * hash should be replaced.
 *
 * Exports: hashPassword, verifyPassword, verifyDummy, passwordScheme,
 * inspectPassword, VerifyResult, PasswordInspection, PasswordProblem.
 * Security: see verify.ts (never rejects, constant-time, dummy for unknown
 * users) and limits.ts (bounded cost per attempt).
 * Standards: see parse.ts.
 */
export { hashPassword } from './hash-password.js';
export { verifyPassword, verifyDummy, type VerifyResult } from './verify.js';
export { inspectPassword, passwordScheme, type PasswordInspection } from './inspect.js';
export type { PasswordProblem } from './parse.js';
