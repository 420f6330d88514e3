/*
 * LSUB (IMAP4rev1): subscribed names matching the pattern, `\Noselect`
 * for those without a mailbox.
 *
 * Exports: lsub.
 * Security: only the user's own subscriptions.
 * Standards: RFC 3501 section 6.3.9 (removed in RFC 9051, still used by rev1 clients).
 */
import { encodeList } from '../../../proto/imap/index.js';
import type { Handler } from '../context.js';

export const lsub: Handler<'LSUB'> = async (s, cmd) => {
  const a = cmd.args;
  if (a.patterns.length === 1 && a.patterns[0] === '') {
    s.send(encodeList(['\\Noselect'], '/', '', s.encoder, [], 'LSUB'));
    s.tagged(cmd.tag, 'OK', 'LSUB completed');
    return;
  }
  const entries = await s.mailboxes.list({ reference: a.reference, patterns: a.patterns, subscribedOnly: true, specialUseOnly: false, recursiveMatch: false });
  for (const e of entries) {
    const attrs = e.exists ? (e.specialUse ? [e.specialUse] : []) : ['\\Noselect'];
    s.send(encodeList(attrs, '/', e.name, s.encoder, [], 'LSUB'));
  }
  s.tagged(cmd.tag, 'OK', 'LSUB completed');
};
