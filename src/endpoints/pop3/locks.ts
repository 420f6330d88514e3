/*
 * The maildrop locks: at most one POP3 session per mailbox at a time
 * (RFC 1939 section 4, "exclusive-access lock"), held in this process.
 *
 * Exports: MaildropLocks, SHARED_MAILDROP_LOCKS.
 * Security: a lock is released on every end of session (the session's
 * run() ends in finally); a dropped connection cannot keep a mailbox
 * locked. Keys are mailbox ids chosen by us, never by the peer.
 * Standards: RFC 1939 section 4, RFC 2449 section 8.1.1 ([IN-USE]).
 * Deliberate: in process only. Petrel runs one server process per data
 * directory, so no file or database lock is needed; IMAP sessions are not
 * excluded (they see POP3 deletions as expunges).
 */

export class MaildropLocks {
  private readonly held = new Set<number>();

  /** Takes the lock on a mailbox; false when another session holds it. */
  acquire(mailboxId: number): boolean {
    if (this.held.has(mailboxId)) return false;
    this.held.add(mailboxId);
    return true;
  }

  release(mailboxId: number): void {
    this.held.delete(mailboxId);
  }

  isHeld(mailboxId: number): boolean {
    return this.held.has(mailboxId);
  }
}

/**
 * The process's lock table, the default of every Pop3Endpoint: the 110 and
 * 995 listeners are two endpoints and must exclude each other.
 */
export const SHARED_MAILDROP_LOCKS = new MaildropLocks();
