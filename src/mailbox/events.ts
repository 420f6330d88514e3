/*
 * The change feed: an in-process publish/subscribe of mailbox changes, so
 * that a session idling on a mailbox (IMAP IDLE, NOTIFY) hears of a
 * delivery, a flag change or an expunge made by another session without
 * polling. Events say only what kind of change happened where; a
 * listener reads the details from the store (MODSEQ log), so a burst of
 * events costs each listener one read, not one per event.
 *
 * Cost: two maps (mailbox id and account id to listener sets); a listener
 * is a closure held until its unsubscribe function runs. Publishing is
 * synchronous and O(listeners of that mailbox and account); listeners must
 * only mark themselves dirty and schedule work, never do I/O inline.
 *
 * Exports: MailboxEvents, MailboxEvent, MailboxChange, MailboxListener,
 * publishDeliveries.
 * Security: events carry ids and names of one account only; listeners
 * subscribe by their own account's ids (the session checks ownership
 * before it watches a mailbox).
 * Standards: none on the wire; serves RFC 2177 (IDLE) and RFC 5465 (NOTIFY).
 */
import type { CommitItem, MessageCommitter } from '../delivery/committer.js';
import type { AtomicDeliveryResult, DeliveryResult } from '../store/types.js';

/** What changed in a mailbox's messages. */
export type MailboxChange = 'new' | 'expunge' | 'flags';

export type MailboxEvent =
  /** Messages added, expunged or re-flagged in one mailbox. */
  | { type: 'messages'; accountId: number; mailboxId: number; changes: readonly MailboxChange[]; origin?: string }
  /** A mailbox created (oldName absent), deleted (name null) or renamed. */
  | { type: 'mailbox-name'; accountId: number; name: string | null; oldName?: string; origin?: string }
  /** A name subscribed or unsubscribed. */
  | { type: 'subscription'; accountId: number; name: string; origin?: string }
  /** METADATA entries set or removed on a mailbox (its name) or on the server (mailbox null). */
  | { type: 'metadata'; accountId: number; mailbox: string | null; entries: readonly string[]; origin?: string };

export type MailboxListener = (event: MailboxEvent) => void;

export class MailboxEvents {
  private readonly byMailbox = new Map<number, Set<MailboxListener>>();
  private readonly byAccount = new Map<number, Set<MailboxListener>>();

  /** Hears message changes of one mailbox; returns the unsubscribe function. */
  watchMailbox(mailboxId: number, listener: MailboxListener): () => void {
    return add(this.byMailbox, mailboxId, listener);
  }

  /** Hears every event of one account (message changes of all its mailboxes, names, subscriptions). */
  watchAccount(accountId: number, listener: MailboxListener): () => void {
    return add(this.byAccount, accountId, listener);
  }

  publish(event: MailboxEvent): void {
    if (event.type === 'messages') for (const l of this.byMailbox.get(event.mailboxId) ?? []) l(event);
    for (const l of this.byAccount.get(event.accountId) ?? []) l(event);
  }

  /** Listeners currently registered (tests and the bench check that sessions clean up). */
  get size(): number {
    let n = 0;
    for (const s of this.byMailbox.values()) n += s.size;
    for (const s of this.byAccount.values()) n += s.size;
    return n;
  }
}

function add(map: Map<number, Set<MailboxListener>>, key: number, listener: MailboxListener): () => void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(listener);
  return () => {
    const s = map.get(key);
    if (!s) return;
    s.delete(listener);
    if (s.size === 0) map.delete(key);
  };
}

/**
 * A committer that announces every local delivery it commits (SMTP, LMTP
 * and APPEND/MULTIAPPEND results) as a 'new' event of the mailbox it
 * landed in, once the message is durable.
 */
export function publishDeliveries(committer: MessageCommitter, events: MailboxEvents): MessageCommitter {
  const announce = (item: CommitItem, result: DeliveryResult): void => {
    result.local.forEach((outcome, i) => {
      const target = item.request.local[i];
      if (outcome.ok && target) events.publish({ type: 'messages', accountId: target.accountId, mailboxId: outcome.mailboxId, changes: ['new'] });
    });
    // Copies a Sieve run made (edited header fields, vacation replies to local senders) land too.
    result.also?.forEach((r, i) => item.also?.[i] && announce(item.also[i], r));
  };
  return {
    async commit(item: CommitItem): Promise<DeliveryResult> {
      const result = await committer.commit(item);
      announce(item, result);
      return result;
    },
    async commitAll(items: readonly CommitItem[]): Promise<AtomicDeliveryResult> {
      const result = await committer.commitAll(items);
      if (result.committed) result.results.forEach((r, i) => announce(items[i]!, r));
      return result;
    },
    idle: () => committer.idle(),
  };
}
