/*
 * The end of every login (PASS and AUTH): lock and open the maildrop, or
 * answer why not.
 *
 * Exports: finishLogin.
 * Security: a wrong password and an unknown user get the same
 * `-ERR [AUTH]` (Directory.authenticate also equalises the time), after
 * the shared failed-login counter's tarpit (a banned client's passwords
 * are not even checked); a
 * mailbox held by another POP3 session gets `-ERR [IN-USE]` and the
 * session stays in the AUTHORIZATION state.
 * Standards: RFC 1939 section 4, RFC 2449 section 8.1.1 (IN-USE), RFC 3206
 * (AUTH).
 */
import type { SessionApi } from '../context.js';

export async function finishLogin(s: SessionApi, user: string, password: string, via: string): Promise<void> {
  const account = await s.authenticate(user, password);
  if (!account) {
    await s.authFailed(via, user);
    return;
  }
  if ((await s.login(account)) === 'in-use') {
    s.log.info('maildrop-in-use', { user: user.slice(0, 256) });
    s.err('Mailbox is locked by another POP3 session', 'IN-USE');
    return;
  }
  const { count, octets } = s.maildrop.stat();
  s.ok(`Logged in, ${count} messages (${octets} octets)`);
}
