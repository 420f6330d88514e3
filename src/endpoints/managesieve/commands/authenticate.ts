/*
 * AUTHENTICATE "PLAIN" [initial-response]: with the initial response, or
 * after an empty `""` challenge, the client's string of base64.
 *
 * Exports: authenticate.
 * Security: over TLS only (the session refuses it before, ENCRYPT-NEEDED).
 * Malformed base64 or PLAIN, and a cancelled exchange, end only this
 * exchange (NO); an authorization identity other than the authentication
 * identity is refused like a wrong password (no proxy logins). Wrong
 * passwords and unknown users get the same NO after the shared tarpit.
 * Standards: RFC 5804 section 2.1 (AUTHENTICATE, "*" cancels), RFC 4616
 * (PLAIN).
 */
import { decodeSaslString } from '../../../proto/managesieve/index.js';
import { decodePlain } from '../../imap/commands/authenticate.js';
import type { Handler } from '../context.js';

export const authenticate: Handler<'AUTHENTICATE'> = async (s, cmd) => {
  if (cmd.mechanism !== 'PLAIN') {
    s.no('Unsupported authentication mechanism');
    return;
  }
  const response = cmd.initialResponse !== null ? decodeSaslString(cmd.initialResponse) : await s.readAuthResponse('');
  if (response === null) return;
  if (response === 'too-long') return s.no('Authentication response too long');
  if (response.kind === 'cancel') return s.no('Authentication cancelled');
  if (response.kind === 'invalid') return s.no('Invalid base64 response');
  const plain = decodePlain(response.data);
  if (!plain) return s.no('Malformed PLAIN response');
  if (plain.authzid !== '' && plain.authzid !== plain.user) return s.authFailed('authzid', plain.user);
  const account = await s.authenticate(plain.user, plain.password);
  if (!account) return s.authFailed('authenticate', plain.user);
  if (s.login(account) === 'too-many-sessions') {
    s.log.warn('too-many-user-sessions', { user: plain.user.slice(0, 256) });
    s.no('Too many sessions for this user from your address', 'TRYLATER');
    return;
  }
  s.ok('Logged in');
};
