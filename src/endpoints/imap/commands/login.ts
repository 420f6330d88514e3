/*
 * LOGIN user password (over TLS only; the session refuses it before).
 *
 * Exports: login.
 * Security: credentials from an unauthenticated peer; the answer to a wrong
 * password and to an unknown user is the same `NO [AUTHENTICATIONFAILED]`
 * (Directory.authenticate also equalises the time). The password is never
 * logged.
 * Standards: RFC 9051 section 6.2.3, RFC 5530.
 */
import type { Handler } from '../context.js';

export const login: Handler<'LOGIN'> = async (s, cmd) => {
  const account = await s.directory.authenticate(cmd.args.username, cmd.args.password);
  if (!account) {
    s.authFailed(cmd.tag, 'login', cmd.args.username);
    return;
  }
  await s.login(account);
  s.tagged(cmd.tag, 'OK', 'LOGIN completed', { code: 'CAPABILITY', capabilities: s.capabilities() });
};
