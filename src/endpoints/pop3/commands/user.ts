/*
 * USER name: remembers the name for the PASS that must follow.
 *
 * Exports: user.
 * Security: over TLS only (the session refuses it before). The answer is
 * +OK whether or not the user exists, so USER cannot probe for accounts.
 * Standards: RFC 1939 section 7 (USER).
 */
import type { Handler } from '../context.js';

export const user: Handler<'USER'> = (s, cmd) => {
  s.pendingUser = cmd.user;
  s.ok('Send your password');
};
