/*
 * A POP3 session's maildrop: the account's INBOX as it was at login (a
 * snapshot; mail arriving later shows in the next session), numbered 1..n
 * in UID order, with the session's marks: deleted (DELE) and retrieved
 * (RETR, which sets \Seen at QUIT).
 *
 * Exports: Maildrop, MaildropMessage, uidlOf.
 * Security: message numbers are client input; get() answers undefined for
 * 0, numbers past the end and deleted messages, never throws.
 * Standards: RFC 1939 sections 5-7 (numbering fixed for the session,
 * deleted messages not listed or counted), RFC 1939 section 7 (UIDL: 1 to
 * 70 characters in 0x21-0x7E, stable across sessions).
 * UIDL choice: the UID and the mailbox's UIDVALIDITY, each as 8 upper-case
 * hex digits (Dovecot's `%08Xu%08Xv`), so an IMAP UID maps to it and it
 * changes only when the mailbox's UIDVALIDITY does.
 */
import type { MailboxRecord, MessageRecord } from '../../store/types.js';

export interface MaildropMessage {
  /** 1-based message number, fixed for the session. */
  n: number;
  record: MessageRecord;
  deleted: boolean;
  retrieved: boolean;
}

export function uidlOf(uid: number, uidValidity: number): string {
  const hex = (v: number) => (v >>> 0).toString(16).toUpperCase().padStart(8, '0');
  return hex(uid) + hex(uidValidity);
}

export class Maildrop {
  private readonly messages: MaildropMessage[];

  constructor(
    readonly mailbox: MailboxRecord,
    records: readonly MessageRecord[],
  ) {
    this.messages = [...records].sort((a, b) => a.uid - b.uid).map((record, i) => ({ n: i + 1, record, deleted: false, retrieved: false }));
  }

  /** The message numbered n unless it is deleted or does not exist. */
  get(n: number): MaildropMessage | undefined {
    const m = this.messages[n - 1];
    return m && !m.deleted ? m : undefined;
  }

  /** Messages not marked deleted, in number order. */
  live(): MaildropMessage[] {
    return this.messages.filter((m) => !m.deleted);
  }

  stat(): { count: number; octets: number } {
    let count = 0;
    let octets = 0;
    for (const m of this.live()) {
      count++;
      octets += m.record.size;
    }
    return { count, octets };
  }

  uidl(m: MaildropMessage): string {
    return uidlOf(m.record.uid, this.mailbox.uidValidity);
  }

  /** RSET: unmarks every deleted and retrieved message. */
  reset(): void {
    for (const m of this.messages) {
      m.deleted = false;
      m.retrieved = false;
    }
  }

  deletedUids(): number[] {
    return this.messages.filter((m) => m.deleted).map((m) => m.record.uid);
  }

  /** Retrieved, not deleted and not \Seen yet: what QUIT flags \Seen. */
  newlySeenUids(): number[] {
    return this.messages.filter((m) => m.retrieved && !m.deleted && !m.record.flags.includes('\\Seen')).map((m) => m.record.uid);
  }
}
