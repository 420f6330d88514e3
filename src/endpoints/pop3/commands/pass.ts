/*
 * PASS password: logs in the user named by the preceding USER.
 *
 * Exports: pass.
 * Security: over TLS only. The USER name is forgotten whatever the outcome
 * (RFC 1939: after a failed PASS the client starts again with USER). The
 * password is never logged.
 * Standards: RFC 1939 section 7 (PASS).
 */
import type { Handler } from '../context.js';
import { finishLogin } from './login.js';

export const pass: Handler<'PASS'> = async (s, cmd) => {
  const user = s.pendingUser;
  s.pendingUser = undefined;
  if (user === undefined) {
    s.err('Send USER first');
    return;
  }
  await finishLogin(s, user, cmd.password, 'pass');
};
