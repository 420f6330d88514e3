/*
 * APPEND in the running server (`petrel serve`): messages go through the
 * commit worker thread (WorkerCommitter), single APPEND and an atomic
 * MULTIAPPEND alike, and read back byte for byte; the message file is on
 * disk and its row in the database once OK has come.
 *
 * Security: test only; 127.0.0.1; the server's own self-signed certificate.
 * Standards: RFC 9051 6.3.12, RFC 3502, RFC 4315.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ImapFlow } from 'imapflow';
import { sha256 } from '../../src/store/blob/files.js';
import { PetrelProcess } from '../support/petrel.js';
import { Wire } from '../support/imap-harness.js';

let p: PetrelProcess;

before(async () => {
  p = await PetrelProcess.create({ logLevel: 'info' });
  await p.start();
  await p.addDomain('example.com');
  await p.addUser('alice@example.com', 'alice-pw');
});
after(() => p.destroy());

const MSG = Buffer.from('From: alice@example.com\r\nSubject: draft\r\nMessage-ID: <draft1@example.com>\r\n\r\nNot sent yet.\r\n');

describe('APPEND in petrel serve', () => {
  it('imapflow: APPEND commits through the commit worker; the file and row exist when OK arrives', async () => {
    const client = new ImapFlow({ host: '127.0.0.1', port: p.ports.imaps, secure: true, tls: { rejectUnauthorized: false }, auth: { user: 'alice@example.com', pass: 'alice-pw' }, logger: false });
    await client.connect();
    try {
      const res = await client.append('Drafts', MSG, ['\\Draft', '\\Seen']);
      assert.ok(res && typeof res === 'object' && res.uid === 1);
      const hash = sha256(MSG);
      assert.ok(existsSync(join(p.dataDir, 'blobs', hash.slice(0, 2), hash)), 'the message file is in place');
      const db = new Database(join(p.dataDir, 'petrel.db'), { readonly: true });
      try {
        const row = db.prepare("SELECT m.uid, m.flags, m.message_id FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.name = 'Drafts'").get() as { uid: number; flags: string; message_id: string };
        assert.deepEqual(row, { uid: 1, flags: '\\Draft \\Seen', message_id: '<draft1@example.com>' });
      } finally {
        db.close();
      }
      const lock = await client.getMailboxLock('Drafts');
      try {
        const msg = await client.fetchOne('1', { source: true });
        assert.ok(msg);
        assert.deepEqual(msg.source, MSG);
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
  });

  it('MULTIAPPEND through the commit worker: all messages with consecutive UIDs', async () => {
    const w = new Wire(tls.connect({ host: '127.0.0.1', port: p.ports.imaps, rejectUnauthorized: false }));
    await w.until(/^\* OK .*\r\n/m);
    assert.match(await w.cmd('L', 'LOGIN alice@example.com alice-pw'), /^L OK/m);
    const a = 'Subject: one\r\n\r\n1\r\n';
    const b = 'Subject: two\r\n\r\n2\r\n';
    const r = await w.raw('M', `M APPEND Archive {${a.length}+}\r\n${a} (\\Flagged) {${b.length}+}\r\n${b}\r\n`);
    assert.match(r, /^M OK \[APPENDUID \d+ 1:2\]/m);
    assert.match(await w.cmd('S', 'STATUS Archive (MESSAGES)'), /MESSAGES 2/);
    w.close();
  });
});
