/*
 * ENABLE: IMAP4rev2 and UTF8=ACCEPT (both switch mailbox names to UTF-8),
 * CONDSTORE and QRESYNC (which implies CONDSTORE); other names are ignored
 * as RFC 5161 requires.
 *
 * Exports: enable, ENABLEABLE.
 * Security: only names from the allowlist change session behaviour.
 * Standards: RFC 5161, RFC 9051 section 6.3.1, RFC 6855 section 3,
 * RFC 7162 sections 3.1 and 3.2.3 (ENABLED lists what the client named).
 */
import { encodeEnabled } from '../../../proto/imap/index.js';
import type { Handler } from '../context.js';

export const ENABLEABLE: readonly string[] = ['IMAP4REV2', 'UTF8=ACCEPT', 'CONDSTORE', 'QRESYNC'];

export const enable: Handler<'ENABLE'> = (s, cmd) => {
  const newly: string[] = [];
  for (const c of cmd.args.capabilities) {
    if (!ENABLEABLE.includes(c) || s.enabled.has(c) || newly.includes(c)) continue;
    s.enable(c);
    if (c === 'QRESYNC') s.enable('CONDSTORE');
    newly.push(c === 'IMAP4REV2' ? 'IMAP4rev2' : c);
  }
  s.send(encodeEnabled(newly));
  s.tagged(cmd.tag, 'OK', 'ENABLE completed');
};
