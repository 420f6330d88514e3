/*
 * Per-user sending limits: how many messages, and how many recipients, an
 * authenticated user may submit in any 60 minutes ([smtp]
 * user_messages_per_hour, user_recipients_per_hour; 0 is no limit). They
 * contain a compromised account: past a limit, submission answers
 * 450 4.7.1 (MAIL once the messages are used up, RCPT once the recipients
 * are), so the client keeps the mail and retries later, and nothing is
 * bounced. Like Postfix's anvil, the counts live in this process only.
 *
 * Exports: SendingLimits, HOUR_MS.
 * Security: memory per user is bounded by the limit (one entry per accepted
 * message, kept an hour), and users with no entry left are forgotten.
 */

export const HOUR_MS = 60 * 60 * 1000;

interface Sent {
  at: number;
  recipients: number;
}

export class SendingLimits {
  private readonly sent = new Map<number, Sent[]>();

  constructor(
    /** Read at every check, so a reload (SIGHUP) applies at once. */
    private readonly limits: () => { messages: number; recipients: number },
    private readonly now: () => number = Date.now,
  ) {}

  /** Messages and recipients the user submitted in the last hour. */
  usage(accountId: number): { messages: number; recipients: number } {
    const list = this.recent(accountId);
    return { messages: list.length, recipients: list.reduce((n, s) => n + s.recipients, 0) };
  }

  /** Whether the user may start another message (MAIL). */
  mayStartMessage(accountId: number): boolean {
    const max = this.limits().messages;
    return max === 0 || this.usage(accountId).messages < max;
  }

  /** Whether the user may add a recipient to a message that already has `pending` accepted ones (RCPT). */
  mayAddRecipient(accountId: number, pending: number): boolean {
    const max = this.limits().recipients;
    return max === 0 || this.usage(accountId).recipients + pending < max;
  }

  /** Counts an accepted message with its recipients. */
  record(accountId: number, recipients: number): void {
    const list = this.recent(accountId);
    list.push({ at: this.now(), recipients });
    this.sent.set(accountId, list);
  }

  private recent(accountId: number): Sent[] {
    const list = this.sent.get(accountId);
    if (!list) return [];
    const since = this.now() - HOUR_MS;
    let drop = 0;
    while (drop < list.length && list[drop]!.at <= since) drop++;
    if (drop > 0) list.splice(0, drop);
    if (list.length === 0) this.sent.delete(accountId);
    return list;
  }
}
