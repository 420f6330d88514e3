/*
 * Spam/ham learning events from real IMAP sessions: MOVE and COPY into the
 * \Junk mailbox record `spam`, MOVE out of it (not to \Trash) records
 * `ham`, APPEND records nothing; the events carry the message's blob hash
 * and can be listed and consumed through the store port the filter uses.
 *
 * Security: test only; 127.0.0.1.
 * Standards: RFC 6851 (MOVE), RFC 6154 (\Junk, \Trash).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { sha256 } from '../../src/store/blob/files.js';
import { startImap, type ImapHarness } from '../support/imap-harness.js';

let h: ImapHarness;
const SPAM = Buffer.from('From: win@lottery.example\r\nSubject: You won\r\n\r\nClaim now\r\n');
const HAM = Buffer.from('From: mum@example.org\r\nSubject: Sunday\r\n\r\nLunch?\r\n');

before(async () => {
  h = await startImap({ users: ['alice'] });
});

after(async () => {
  await h.close();
});

describe('IMAP junk learning', () => {
  it('records spam for MOVE/COPY into Junk and ham for MOVE out of it, nothing for APPEND or Trash', async () => {
    const alice = (await h.directory.findAccount('alice@example.com'))!;
    const client = new ImapFlow({ host: '127.0.0.1', port: h.port, secure: true, tls: { rejectUnauthorized: false }, auth: { user: 'alice@example.com', pass: 'pw-alice' }, logger: false });
    await client.connect();
    try {
      await client.append('INBOX', SPAM);
      await client.append('INBOX', HAM);
      await client.append('Junk', HAM);
      assert.deepEqual(await h.store.learning.listLearningEvents(10), [], 'APPEND teaches nothing');
      const lock = await client.getMailboxLock('INBOX');
      try {
        await client.messageMove('1', 'Junk', { uid: true });
        await client.messageCopy('2', 'Junk', { uid: true });
      } finally {
        lock.release();
      }
      const junk = await client.getMailboxLock('Junk');
      try {
        // Junk now holds: UID 1 (HAM, appended), 2 (SPAM, moved), 3 (HAM, copied).
        await client.messageMove('1', 'INBOX', { uid: true });
        await client.messageMove('3', 'Trash', { uid: true });
      } finally {
        junk.release();
      }
    } finally {
      await client.logout();
    }
    const events = await h.store.learning.listLearningEvents(10);
    assert.deepEqual(events.map((e) => [e.kind, e.blobHash, e.accountId]), [
      ['spam', sha256(SPAM), alice.id],
      ['spam', sha256(HAM), alice.id],
      ['ham', sha256(HAM), alice.id],
    ]);
    assert.equal(await h.store.learning.consumeLearningEvents(events.map((e) => e.id)), 3);
    assert.deepEqual(await h.store.learning.listLearningEvents(10), []);
  });
});
