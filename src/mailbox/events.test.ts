/*
 * The change feed: listeners by mailbox and by account, unsubscribe that
 * leaves no empty entries (10,000 sessions come and go), and
 * publishDeliveries announcing exactly the local outcomes that committed.
 *
 * Security: test only.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CommitItem, MessageCommitter } from '../delivery/committer.js';
import type { AtomicDeliveryResult, DeliveryResult } from '../store/types.js';
import { MailboxEvents, publishDeliveries, type MailboxEvent } from './events.js';

describe('MailboxEvents', () => {
  it('message events reach the mailbox and account watchers; name events only the account watchers', () => {
    const feed = new MailboxEvents();
    const got: string[] = [];
    const offA = feed.watchMailbox(7, (e) => got.push(`mbox7:${e.type}`));
    feed.watchMailbox(8, (e) => got.push(`mbox8:${e.type}`));
    const offB = feed.watchAccount(1, (e) => got.push(`acct1:${e.type}`));
    feed.publish({ type: 'messages', accountId: 1, mailboxId: 7, changes: ['new'] });
    feed.publish({ type: 'mailbox-name', accountId: 1, name: 'X' });
    feed.publish({ type: 'messages', accountId: 2, mailboxId: 9, changes: ['flags'] });
    assert.deepEqual(got, ['mbox7:messages', 'acct1:messages', 'acct1:mailbox-name']);
    assert.equal(feed.size, 3);
    offA();
    offB();
    offA();
    assert.equal(feed.size, 1);
  });

  it('publishDeliveries announces each committed local outcome once it is durable, nothing for refusals or a failed group', async () => {
    const feed = new MailboxEvents();
    const seen: MailboxEvent[] = [];
    feed.watchAccount(1, (e) => seen.push(e));
    feed.watchAccount(2, (e) => seen.push(e));
    const item = (accounts: number[]): CommitItem => ({ bytes: Buffer.alloc(0), index: '{}', request: { internalDate: 0, messageId: null, queueId: 'q', local: accounts.map((accountId) => ({ accountId, mailbox: 'INBOX', enforceQuota: false })) } });
    const inner: MessageCommitter = {
      commit: async (): Promise<DeliveryResult> => ({ local: [{ ok: true, mailboxId: 10, uidValidity: 1, uid: 5, modseq: 3 }, { ok: false, reason: 'quota' }] }),
      commitAll: async (items): Promise<AtomicDeliveryResult> => ({ committed: items.length === 1, results: items.map(() => ({ local: [{ ok: true, mailboxId: 11, uidValidity: 1, uid: 1, modseq: 1 }] })) }),
      idle: async () => {},
    };
    const c = publishDeliveries(inner, feed);
    await c.commit(item([1, 2]));
    assert.deepEqual(seen, [{ type: 'messages', accountId: 1, mailboxId: 10, changes: ['new'] }]);
    seen.length = 0;
    await c.commitAll([item([2])]);
    await c.commitAll([item([1]), item([1])]);
    assert.deepEqual(seen, [{ type: 'messages', accountId: 2, mailboxId: 11, changes: ['new'] }]);
  });
});
