/*
 * UNAUTHENTICATE: back to the non-authenticated state on the same TLS
 * connection, so a client can log in as another user.
 *
 * Exports: unauthenticate.
 * Security: the session forgets the account and its per-user slot; the
 * literal limit returns to the pre-login one.
 * Standards: RFC 5804 section 2.14.1.
 */
import type { Handler } from '../context.js';

export const unauthenticate: Handler<'UNAUTHENTICATE'> = (s) => {
  s.logout();
  s.ok('Unauthenticate completed');
};
