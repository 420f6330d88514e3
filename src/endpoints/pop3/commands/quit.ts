/*
 * QUIT: in the AUTHORIZATION state just goodbye; in TRANSACTION the UPDATE
 * state: \Seen on the messages retrieved, then \Deleted on those marked
 * deleted and an expunge of exactly those UIDs through the message store.
 * The answer comes only after the store has committed.
 *
 * Exports: quit.
 * Security: acts on UIDs of the logged-in account's INBOX snapshot only; a
 * message already expunged by IMAP is skipped by the store; \Deleted set
 * by an IMAP client on other messages is left alone (expunge is limited to
 * our UIDs).
 * Standards: RFC 1939 section 6 (UPDATE state; -ERR when removal fails),
 * RFC 3206 (SYS/TEMP).
 */
import type { UidSet } from '../../../store/types.js';
import type { Handler } from '../context.js';

export const quit: Handler<'QUIT'> = async (s) => {
  if (s.state === 'authorization') {
    s.ok('Logging out');
    return s.end();
  }
  const drop = s.maildrop;
  const seen: UidSet = drop.newlySeenUids();
  const deleted: UidSet = drop.deletedUids();
  try {
    if (seen.length) await s.mailboxes.storeFlags(drop.mailbox, seen, 'add', ['\\Seen']);
    let removed = 0;
    if (deleted.length) {
      await s.mailboxes.storeFlags(drop.mailbox, deleted, 'add', ['\\Deleted']);
      removed = (await s.mailboxes.expunge(drop.mailbox, deleted)).uids.length;
    }
    s.log.info('update', { seen: seen.length, deleted: removed });
    s.ok(`Logging out, ${removed} messages deleted`);
  } catch (err) {
    s.log.error('update-failed', { reason: err instanceof Error ? err.message : String(err) });
    s.err('Some messages could not be deleted, try again', 'SYS/TEMP');
  }
  s.end();
};
