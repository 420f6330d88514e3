/*
 * QUOTA against the real IMAP listener: GETQUOTAROOT/GETQUOTA report the
 * account's real usage and limit (STORAGE, KiB) from the store, follow
 * deliveries, SETQUOTA is refused, an account without quota has no root,
 * and STATUS DELETED-STORAGE; raw transcripts and imapflow's getQuota.
 *
 * Security: test only; 127.0.0.1.
 * Standards: RFC 9208.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { startImap, type ImapHarness } from '../support/imap-harness.js';

let h: ImapHarness;

before(async () => {
  h = await startImap({ users: ['alice', 'bob'], quota: { alice: 10 * 1024 * 1024 } });
});

after(async () => {
  await h.close();
});

const message = (n: number) => `Subject: q${n}\r\n\r\n${'q'.repeat(4000)}\r\n`;

describe('IMAP QUOTA', () => {
  it('advertises QUOTA and QUOTA=RES-STORAGE, not QUOTASET', async () => {
    const w = await h.login('alice');
    const caps = await w.cmd('C', 'CAPABILITY');
    assert.match(caps, / QUOTA /);
    assert.match(caps, / QUOTA=RES-STORAGE[ \r]/);
    assert.doesNotMatch(caps, /QUOTASET/);
    w.close();
  });

  it('reports the root "" with usage that follows APPEND and EXPUNGE, and DELETED-STORAGE', async () => {
    const w = await h.login('alice');
    const empty = await w.cmd('Q1', 'GETQUOTAROOT INBOX');
    assert.match(empty, /^\* QUOTAROOT "?INBOX"? ""\r\n\* QUOTA "" \(STORAGE 0 10240\)\r\nQ1 OK/m);
    for (const n of [1, 2]) assert.match(await w.raw(`A${n}`, `A${n} APPEND INBOX (\\Deleted) {${message(n).length}+}\r\n${message(n)}\r\n`), /OK/);
    const used = (message(1).length + message(2).length);
    assert.match(await w.cmd('Q2', 'GETQUOTA ""'), new RegExp(`^\\* QUOTA "" \\(STORAGE ${Math.floor(used / 1024)} 10240\\)`, 'm'));
    assert.match(await w.cmd('S', 'STATUS INBOX (DELETED DELETED-STORAGE)'), new RegExp(`DELETED 2 DELETED-STORAGE ${Math.ceil(used / 1024)}\\)`));
    await w.cmd('X', 'SELECT INBOX');
    await w.cmd('E', 'EXPUNGE');
    assert.match(await w.cmd('Q3', 'GETQUOTA ""'), /^\* QUOTA "" \(STORAGE 0 10240\)/m);
    w.close();
  });

  it('answers NO to unknown roots and missing mailboxes, and refuses SETQUOTA', async () => {
    const w = await h.login('alice');
    assert.match(await w.cmd('G', 'GETQUOTA "User quota"'), /^G NO \[NONEXISTENT\]/m);
    assert.match(await w.cmd('R', 'GETQUOTAROOT Nowhere'), /^R NO \[NONEXISTENT\]/m);
    assert.match(await w.cmd('S', 'SETQUOTA "" (STORAGE 999999)'), /^S NO \[NOPERM\]/m);
    assert.match(await w.cmd('Q', 'GETQUOTA ""'), /STORAGE \d+ 10240\)/);
    w.close();
  });

  it('gives an account without quota no quota root', async () => {
    const w = await h.login('bob');
    const r = await w.cmd('Q', 'GETQUOTAROOT INBOX');
    assert.match(r, /^\* QUOTAROOT "?INBOX"?\r\nQ OK/m);
    assert.doesNotMatch(r, /\* QUOTA /);
    assert.match(await w.cmd('G', 'GETQUOTA ""'), /^G NO \[NONEXISTENT\]/m);
    w.close();
  });

  it('imapflow: getQuota gives the storage usage and limit', async () => {
    await h.directory.setQuota('alice@example.com', 20 * 1024 * 1024);
    const client = new ImapFlow({ host: '127.0.0.1', port: h.port, secure: true, tls: { rejectUnauthorized: false }, auth: { user: 'alice@example.com', pass: 'pw-alice' }, logger: false });
    await client.connect();
    try {
      await client.append('INBOX', Buffer.from(message(3)));
      const q = await client.getQuota('INBOX');
      assert.ok(q && typeof q === 'object');
      assert.equal(q.storage?.limit, 20 * 1024 * 1024);
      assert.equal(q.storage?.usage, Math.floor(message(3).length / 1024) * 1024);
    } finally {
      await client.logout();
    }
  });
});
