/*
 * CAPABILITY: the untagged list for the session's current state.
 *
 * Exports: capability.
 * Security: allowed before login; reveals only what the state allows.
 * Standards: RFC 9051 section 6.1.1.
 */
import { encodeCapability } from '../../../proto/imap/index.js';
import type { Handler } from '../context.js';

export const capability: Handler<'CAPABILITY'> = (s, cmd) => {
  s.send(encodeCapability(s.capabilities()));
  s.tagged(cmd.tag, 'OK', 'CAPABILITY completed');
};
