/*
 * SELECT and EXAMINE: open a mailbox read-write or read-only and report
 * its state (FLAGS, EXISTS, rev1 RECENT and UNSEEN, UIDVALIDITY, UIDNEXT,
 * PERMANENTFLAGS, HIGHESTMODSEQ).
 *
 * Exports: select, examine, SYSTEM_FLAGS.
 * Security: the user's own mailboxes only; a failed SELECT leaves the
 * session unselected (RFC 9051 6.3.2).
 * Standards: RFC 9051 sections 6.3.2 and 6.3.3, RFC 3501 (RECENT, UNSEEN),
 * RFC 7162 (HIGHESTMODSEQ), RFC 9051 7.1 ([CLOSED]).
 */
import { MailboxView } from '../../../mailbox/index.js';
import { encodeExists, encodeFlags, encodeList, encodeUntagged, encodeUntaggedStatus } from '../../../proto/imap/index.js';
import type { SelectArgs } from '../../../proto/imap/parse/select.js';
import type { CommandOf, Handler, SessionApi } from '../context.js';

export const SYSTEM_FLAGS: readonly string[] = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'];

async function open(s: SessionApi, tag: string, args: SelectArgs, readOnly: boolean, verb: string): Promise<void> {
  if (s.selected) {
    s.select(undefined);
    s.send(encodeUntaggedStatus('OK', 'Previous mailbox closed', { code: 'CLOSED' }));
  }
  const record = await s.mailboxes.get(args.mailbox);
  if (!record) {
    s.tagged(tag, 'NO', 'No such mailbox', { code: 'NONEXISTENT' });
    return;
  }
  const messages = await s.mailboxes.messages(record);
  const keywords = new Set<string>();
  let firstUnseen = 0;
  messages.forEach((m, i) => {
    for (const f of m.flags) if (!f.startsWith('\\')) keywords.add(f);
    if (firstUnseen === 0 && !m.flags.includes('\\Seen')) firstUnseen = i + 1;
  });
  const flags = [...SYSTEM_FLAGS, ...[...keywords].sort()];
  s.send(encodeFlags(flags));
  s.send(encodeExists(messages.length));
  if (!s.rev2) {
    s.send(encodeUntagged([{ atom: '0' }, { atom: 'RECENT' }], s.encoder));
    if (firstUnseen) s.send(encodeUntaggedStatus('OK', 'First unseen', { code: 'UNSEEN', value: firstUnseen }));
  }
  s.send(encodeUntaggedStatus('OK', 'UIDs valid', { code: 'UIDVALIDITY', value: record.uidValidity }));
  s.send(encodeUntaggedStatus('OK', 'Predicted next UID', { code: 'UIDNEXT', value: record.uidNext }));
  s.send(encodeUntaggedStatus('OK', readOnly ? 'No permanent flags' : 'Flags permitted', { code: 'PERMANENTFLAGS', flags: readOnly ? [] : [...flags, '\\*'] }));
  s.send(encodeUntaggedStatus('OK', 'Highest', { code: 'HIGHESTMODSEQ', value: record.highestModseq }));
  // RFC 9051 6.3.2: a rev2 client gets the mailbox's LIST reply (its canonical name and attributes).
  if (s.rev2) s.send(encodeList(record.specialUse ? [record.specialUse] : [], '/', record.name, s.encoder));
  s.select({ record, readOnly, view: new MailboxView(messages.map((m) => m.uid)), modseq: record.highestModseq });
  s.tagged(tag, 'OK', `${verb} completed`, { code: readOnly ? 'READ-ONLY' : 'READ-WRITE' });
}

export const select: Handler<'SELECT'> = (s, cmd: CommandOf<'SELECT'>) => open(s, cmd.tag, cmd.args, false, 'SELECT');
export const examine: Handler<'EXAMINE'> = (s, cmd: CommandOf<'EXAMINE'>) => open(s, cmd.tag, cmd.args, true, 'EXAMINE');
