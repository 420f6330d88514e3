/*
 * LSUB (IMAP4rev1): subscribed names matching the pattern, `\Noselect`
 * for those without a mailbox and for unsubscribed parents of subscribed
 * names that `%` reaches.
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
  // recursiveMatch adds the unsubscribed parents of subscribed names that match `%` (RFC 3501 6.3.9: listed \Noselect).
  const entries = await s.mailboxes.list({ reference: a.reference, patterns: a.patterns, subscribedOnly: true, specialUseOnly: false, recursiveMatch: true });
  const listed = entries.filter((e) => !e.childSubscribed).map((e) => e.name + '/');
  for (const e of entries) {
    // A parent is only listed when none of its subscribed descendants matched itself (the `%` case).
    if (e.childSubscribed && listed.some((n) => n.startsWith(e.name + '/'))) continue;
    const attrs = e.exists && !e.childSubscribed ? (e.specialUse ? [e.specialUse] : []) : ['\\Noselect'];
    s.send(encodeList(attrs, '/', e.name, s.encoder, [], 'LSUB'));
  }
  s.tagged(cmd.tag, 'OK', 'LSUB completed');
};
