/*
 * AUTHENTICATE PLAIN, with the initial response inline (SASL-IR) or after a
 * `+` continuation.
 *
 * Exports: authenticate, decodePlain.
 * Security: credentials from an unauthenticated peer. Malformed base64 or a
 * malformed PLAIN message ends only this exchange (BAD); a wrong password
 * and an unknown user get the same `NO [AUTHENTICATIONFAILED]`. An
 * authorization identity other than the authentication identity is
 * refused (no proxy logins). Failures, tarpit, ban and the per-user
 * session limit as for LOGIN (login.ts).
 * Standards: RFC 9051 section 6.2.2, RFC 4616 (PLAIN), RFC 4959 (SASL-IR).
 */
import type { Handler } from '../context.js';

/** authzid NUL authcid NUL passwd, or undefined when malformed. */
export function decodePlain(data: Buffer): { authzid: string; user: string; password: string } | undefined {
  const parts = data.toString('utf8').split('\u0000');
  if (parts.length !== 3) return undefined;
  const [authzid, user, password] = parts as [string, string, string];
  if (user === '' || password === '') return undefined;
  return { authzid, user, password };
}

export const authenticate: Handler<'AUTHENTICATE'> = async (s, cmd) => {
  if (cmd.args.mechanism !== 'PLAIN') {
    s.tagged(cmd.tag, 'NO', 'Unsupported authentication mechanism', { code: 'CANNOT' });
    return;
  }
  let data: Buffer;
  if (cmd.args.initialResponse !== null) data = Buffer.from(cmd.args.initialResponse, 'base64');
  else {
    const response = await s.readAuthResponse('');
    if (response === null) return;
    if (response.kind === 'cancel') {
      s.tagged(cmd.tag, 'BAD', 'Authentication cancelled');
      return;
    }
    if (response.kind === 'invalid') {
      s.tagged(cmd.tag, 'BAD', 'Invalid base64 response');
      return;
    }
    data = response.data;
  }
  const plain = decodePlain(data);
  if (!plain) {
    s.tagged(cmd.tag, 'BAD', 'Malformed PLAIN response');
    return;
  }
  if (plain.authzid !== '' && plain.authzid !== plain.user) {
    await s.authFailed(cmd.tag, 'authzid', plain.user);
    return;
  }
  const account = await s.authenticate(plain.user, plain.password);
  if (!account) {
    await s.authFailed(cmd.tag, 'authenticate', plain.user);
    return;
  }
  // Dovecot's answer too: temporary, so the client retries rather than asking for the password again.
  if (!(await s.login(account))) return s.tagged(cmd.tag, 'NO', 'Too many connections for this user from your address', { code: 'UNAVAILABLE' });
  s.tagged(cmd.tag, 'OK', 'AUTHENTICATE completed', { code: 'CAPABILITY', capabilities: s.capabilities() });
};
