/*
 * LOGIN user password (over TLS only; the session refuses it before).
 *
 * Exports: login.
 * Security: credentials from an unauthenticated peer; the answer to a wrong
 * password and to an unknown user is the same `NO [AUTHENTICATIONFAILED]`
 * (Directory.authenticate also equalises the time). The password is never
 * logged. Failures feed the shared per-client counter (tarpit, then ban:
 * a banned client's passwords are not checked); one account holds at most
 * a few sessions from one address (`NO [UNAVAILABLE]` beyond).
 * Standards: RFC 9051 section 6.2.3, RFC 5530.
 */
import type { Handler } from '../context.js';

export const login: Handler<'LOGIN'> = async (s, cmd) => {
  const account = await s.authenticate(cmd.args.username, cmd.args.password);
  if (!account) {
    await s.authFailed(cmd.tag, 'login', cmd.args.username);
    return;
  }
  // Dovecot's answer too: temporary, so the client retries rather than asking for the password again.
  if (!(await s.login(account))) return s.tagged(cmd.tag, 'NO', 'Too many connections for this user from your address', { code: 'UNAVAILABLE' });
  s.tagged(cmd.tag, 'OK', 'LOGIN completed', { code: 'CAPABILITY', capabilities: s.capabilities() });
};
