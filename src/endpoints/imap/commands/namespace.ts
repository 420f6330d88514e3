/*
 * NAMESPACE: one personal namespace with prefix "" and separator "/".
 *
 * Exports: namespace.
 * Security: no shared or other-user namespaces exist.
 * Standards: RFC 2342, RFC 9051 section 6.3.10.
 */
import { encodeNamespace } from '../../../proto/imap/index.js';
import type { Handler } from '../context.js';

export const namespace: Handler<'NAMESPACE'> = (s, cmd) => {
  s.send(encodeNamespace([{ prefix: '', delimiter: '/' }], null, null, s.encoder));
  s.tagged(cmd.tag, 'OK', 'NAMESPACE completed');
};
