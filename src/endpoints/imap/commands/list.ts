/*
 * LIST, basic and extended: selection SUBSCRIBED, SPECIAL-USE,
 * RECURSIVEMATCH (REMOTE is accepted and means nothing here); RETURN
 * SUBSCRIBED, CHILDREN, SPECIAL-USE and STATUS.
 *
 * Exports: list, listAttributes.
 * Security: only the user's own names; work bounded by MAX_MAILBOXES.
 * Standards: RFC 9051 section 6.3.9, RFC 5258, RFC 5819 (LIST-STATUS),
 * RFC 6154, RFC 3348.
 */
import type { ListEntry } from '../../../mailbox/index.js';
import { encodeList, encodeStatus, type ImapValue } from '../../../proto/imap/index.js';
import type { Handler } from '../context.js';
import { statusValues, statusWanted } from '../status-items.js';

export function listAttributes(e: ListEntry, opts: { subscribed: boolean }): string[] {
  const attrs: string[] = [];
  if (!e.exists) attrs.push('\\NonExistent');
  else attrs.push(e.hasChildren ? '\\HasChildren' : '\\HasNoChildren');
  if (opts.subscribed && e.subscribed) attrs.push('\\Subscribed');
  if (e.specialUse) attrs.push(e.specialUse);
  return attrs;
}

export const list: Handler<'LIST'> = async (s, cmd) => {
  const a = cmd.args;
  if (a.patterns.length === 1 && a.patterns[0] === '' && !a.extended) {
    // The hierarchy delimiter query (RFC 9051 6.3.9).
    s.send(encodeList(['\\Noselect'], '/', '', s.encoder));
    s.tagged(cmd.tag, 'OK', 'LIST completed');
    return;
  }
  const subscribedOnly = a.selection.includes('SUBSCRIBED');
  const entries = await s.mailboxes.list({
    reference: a.reference,
    patterns: a.patterns.filter((p) => p !== ''),
    subscribedOnly,
    specialUseOnly: a.selection.includes('SPECIAL-USE'),
    recursiveMatch: a.selection.includes('RECURSIVEMATCH'),
  });
  const returnSubscribed = subscribedOnly || a.returns.some((r) => r.kind === 'SUBSCRIBED');
  const statusItems = a.returns.find((r) => r.kind === 'STATUS')?.items;
  for (const e of entries) {
    const extended: ImapValue[] = e.childSubscribed ? ['CHILDINFO', ['SUBSCRIBED']] : [];
    s.send(encodeList(listAttributes(e, { subscribed: returnSubscribed }), '/', e.name, s.encoder, extended));
    if (statusItems && e.record) {
      const r = await s.mailboxes.status(e.name, statusWanted(statusItems));
      if (r.ok) s.send(encodeStatus(e.name, statusValues(statusItems, r.value.status), s.encoder));
    }
  }
  s.tagged(cmd.tag, 'OK', 'LIST completed');
};
