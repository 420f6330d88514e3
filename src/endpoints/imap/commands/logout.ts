/*
 * LOGOUT: untagged BYE, tagged OK, then the session closes.
 *
 * Exports: logout.
 * Security: allowed in every state.
 * Standards: RFC 9051 section 6.1.3.
 */
import { encodeUntaggedStatus } from '../../../proto/imap/index.js';
import type { Handler } from '../context.js';

export const logout: Handler<'LOGOUT'> = (s, cmd) => {
  s.send(encodeUntaggedStatus('BYE', 'Petrel IMAP logging out'));
  s.tagged(cmd.tag, 'OK', 'LOGOUT completed');
  s.logout();
};
