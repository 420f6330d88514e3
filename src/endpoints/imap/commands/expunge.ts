/*
 * EXPUNGE and UID EXPUNGE: remove the messages flagged \Deleted (with UID
 * EXPUNGE only those of the given UIDs) and tell the client with one
 * untagged EXPUNGE per message, highest sequence number first so each
 * number is right when it is read, or with one VANISHED once QRESYNC is
 * enabled (mailbox-sync.ts reportExpunged).
 *
 * Exports: expunge.
 * Security: acts on the selected mailbox of the logged-in account only;
 * refused on a read-only (EXAMINE) mailbox.
 * Standards: RFC 9051 sections 6.4.3 and 7.5.1, RFC 4315 section 2.1
 * (UID EXPUNGE), RFC 7162 section 3.2.10 (VANISHED).
 */
import type { Handler } from '../context.js';
import { reportExpunged } from '../mailbox-sync.js';
import { resolveMessages, toUidSet } from '../message-set.js';

export const expunge: Handler<'EXPUNGE'> = async (s, cmd) => {
  const selected = s.selected!;
  let only: number[] | undefined;
  if (cmd.args.uids !== null) {
    const resolved = resolveMessages(s, selected, cmd.tag, cmd.args.uids, true);
    if (!resolved) return;
    only = resolved.map((m) => m.uid);
  }
  if (selected.readOnly) return s.tagged(cmd.tag, 'NO', 'Mailbox is read-only');
  const result = await s.mailboxes.expunge(selected.record, only === undefined ? undefined : toUidSet(only));
  reportExpunged(s, selected, result.uids);
  // As for STORE: when this expunge was the only change since, NOOP has nothing to repeat.
  if (result.modseq === selected.modseq + 1) selected.modseq = result.modseq;
  s.tagged(cmd.tag, 'OK', `${cmd.uid ? 'UID EXPUNGE' : 'EXPUNGE'} completed`);
};
