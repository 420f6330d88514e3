/*
 * MailboxView: sequence numbers, sequence sets with `*` and `$`, UID sets
 * over gaps, and expunge order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MailboxView } from './view.js';

const set = (...ranges: [number | '*', number | '*'][]) => ({ kind: 'ranges' as const, ranges: ranges.map(([from, to]) => ({ from, to })) });

describe('MailboxView', () => {
  const view = () => new MailboxView([10, 3, 7, 20]);

  it('maps sequence numbers to UIDs and back', () => {
    const v = view();
    assert.equal(v.uidAt(1), 3);
    assert.equal(v.uidAt(4), 20);
    assert.equal(v.seqOf(7), 2);
    assert.equal(v.seqOf(8), 0);
  });

  it('resolves sequence sets with * and reversed ranges, each message once', () => {
    const r = view().resolve(set([3, '*'], [2, 1], [2, 2]), false);
    assert.deepEqual(r, { ok: true, messages: [{ seq: 1, uid: 3 }, { seq: 2, uid: 7 }, { seq: 3, uid: 10 }, { seq: 4, uid: 20 }] });
  });

  it('a sequence number beyond the mailbox is a client error', () => {
    assert.deepEqual(view().resolve(set([5, 5]), false), { ok: false, reason: 'bad-seq' });
    assert.deepEqual(new MailboxView([]).resolve(set(['*', '*']), false), { ok: false, reason: 'bad-seq' });
  });

  it('UID sets skip missing UIDs and n:* includes the highest UID', () => {
    assert.deepEqual(view().resolve(set([4, 10]), true), { ok: true, messages: [{ seq: 2, uid: 7 }, { seq: 3, uid: 10 }] });
    assert.deepEqual(view().resolve(set([100, '*']), true), { ok: true, messages: [{ seq: 4, uid: 20 }] });
    assert.deepEqual(new MailboxView([]).resolve(set([1, '*']), true), { ok: true, messages: [] });
  });

  it('$ without a saved result is empty', () => {
    assert.deepEqual(view().resolve({ kind: 'saved' }, false), { ok: true, messages: [] });
  });

  it('remove returns sequence numbers highest first and renumbers', () => {
    const v = view();
    assert.deepEqual(v.remove([3, 10, 99]), [3, 1]);
    assert.equal(v.count, 2);
    assert.equal(v.uidAt(1), 7);
    v.append([25, 21]);
    assert.deepEqual(v.all().map((m) => m.uid), [7, 20, 21, 25]);
  });
});
