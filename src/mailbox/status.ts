/*
 * STATUS counters of one mailbox, from the record and the message store.
 *
 * Exports: MailboxStatus, StatusWanted, mailboxStatus.
 * Security: reads the caller's own mailbox (the caller resolved it in the
 * account); counts only, no message data.
 * Standards: RFC 9051 section 6.3.11, RFC 8438 (STATUS=SIZE), RFC 7162
 * (HIGHESTMODSEQ), RFC 9208 (DELETED-STORAGE), RFC 3501 (RECENT).
 */
import type { MailboxRecord, MessageReader, MailboxStore } from '../store/types.js';

export interface MailboxStatus {
  messages: number;
  uidNext: number;
  uidValidity: number;
  unseen: number;
  deleted: number;
  /** Octets of the messages flagged \Deleted (what EXPUNGE would free). */
  deletedSize: number;
  size: number;
  highestModseq: number;
  /** RFC 8474 MAILBOXID. */
  objectId: string;
  /** RFC 3501 RECENT: messages the next SELECT would get as \Recent. */
  recent: number;
  /** Lowest UID without \Seen, for SELECT's rev1 [UNSEEN]. */
  firstUnseenUid: number | null;
}

export interface StatusWanted {
  unseen?: boolean;
  deleted?: boolean;
  recent?: boolean;
}

/** Counters of a mailbox; the UNSEEN and DELETED queries run only when asked for. */
export async function mailboxStatus(
  ports: { messages: Pick<MessageReader, 'countUnseen'>; mailboxes: Pick<MailboxStore, 'listMessages'> },
  mailbox: MailboxRecord,
  wanted: StatusWanted,
): Promise<MailboxStatus> {
  const unseen = wanted.unseen ? await ports.messages.countUnseen(mailbox.id) : { unseen: 0, firstUnseenUid: null };
  let deleted = 0;
  let deletedSize = 0;
  let recent = 0;
  if (wanted.deleted || (wanted.recent && mailbox.recentUid < mailbox.uidNext)) {
    for (const m of await ports.mailboxes.listMessages(mailbox.id)) {
      if (m.uid >= mailbox.recentUid) recent++;
      if (!m.flags.includes('\\Deleted')) continue;
      deleted++;
      deletedSize += m.size;
    }
  }
  return {
    messages: mailbox.messageCount,
    uidNext: mailbox.uidNext,
    uidValidity: mailbox.uidValidity,
    unseen: unseen.unseen,
    deleted,
    deletedSize,
    size: mailbox.totalSize,
    highestModseq: mailbox.highestModseq,
    objectId: mailbox.objectId,
    recent,
    firstUnseenUid: unseen.firstUnseenUid,
  };
}
