/*
 * AUTH: without a mechanism, the list of mechanisms (as many servers
 * answer, for older clients); AUTH PLAIN with an initial response, or
 * after an empty `+ ` challenge.
 *
 * Exports: auth.
 * Security: over TLS only. Malformed base64 or PLAIN, and a cancelled
 * exchange, end only this exchange (-ERR); an authorization identity other
 * than the authentication identity is refused like a wrong password (no
 * proxy logins).
 * Standards: RFC 5034 (POP3 SASL: `+ ` challenges, `*` cancels, `=` is an
 * empty initial response), RFC 4616 (PLAIN).
 */
import { encodeMultiline } from '../../../proto/pop3/index.js';
import { decodePlain } from '../../imap/commands/authenticate.js';
import type { Handler } from '../context.js';
import { finishLogin } from './login.js';

export const auth: Handler<'AUTH'> = async (s, cmd) => {
  if (cmd.mechanism === null) {
    s.send(encodeMultiline('Mechanisms follow', ['PLAIN']));
    return;
  }
  if (cmd.mechanism !== 'PLAIN') {
    s.err('Unsupported authentication mechanism');
    return;
  }
  let data: Buffer;
  if (cmd.initialResponse !== null) data = Buffer.from(cmd.initialResponse, 'base64');
  else {
    const response = await s.readAuthResponse('');
    if (response === null) return;
    if (response === 'too-long') return s.err('Authentication response too long');
    if (response.kind === 'cancel') return s.err('Authentication cancelled');
    if (response.kind === 'invalid') return s.err('Invalid base64 response');
    data = response.data;
  }
  const plain = decodePlain(data);
  if (!plain) {
    s.err('Malformed PLAIN response');
    return;
  }
  if (plain.authzid !== '' && plain.authzid !== plain.user) {
    await s.authFailed('authzid', plain.user);
    return;
  }
  await finishLogin(s, plain.user, plain.password, 'auth');
};
