/*
 * LOGOUT: OK, then the server closes the connection.
 *
 * Exports: logout.
 * Security: none.
 * Standards: RFC 5804 section 2.3.
 */
import type { Handler } from '../context.js';

export const logout: Handler<'LOGOUT'> = (s) => {
  s.ok('Logout completed');
  s.end();
};
