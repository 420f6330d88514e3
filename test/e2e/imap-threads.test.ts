/*
 * THREADID (RFC 8474) through the whole path of the running server: mail
 * sent over SMTP is threaded at delivery from its References (folded, no
 * In-Reply-To) within the recipient's account, and imapflow reads the
 * THREADIDs and EMAILIDs back over IMAP.
 *
 * Security: test only; 127.0.0.1; the server's own self-signed certificate.
 * Standards: RFC 8474 sections 5.1-5.2, RFC 5322 section 3.6.4.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { PetrelProcess } from '../support/petrel.js';
import { message, RawSmtp } from '../support/smtp-client.js';

let p: PetrelProcess;

before(async () => {
  p = await PetrelProcess.create({ logLevel: 'info' });
  await p.start();
  await p.addDomain('example.com');
  await p.addUser('alice@example.com', 'alice-pw');
  const mails = [
    message({ Subject: 'plan', 'Message-ID': '<root@remote.test>' }, 'Shall we?\r\n'),
    message({ Subject: 'unrelated', 'Message-ID': '<other@remote.test>' }, 'Hello.\r\n'),
    // No In-Reply-To: only the folded References names the thread.
    message({ Subject: 'Re: plan', 'Message-ID': '<reply@remote.test>', References: '<unknown@remote.test>\r\n <root@remote.test>' }, 'Yes.\r\n'),
  ];
  for (const m of mails) {
    const c = await RawSmtp.open(p.ports.mx);
    const replies = await c.send({ from: 'sender@remote.test', to: ['alice@example.com'], message: m });
    c.close();
    assert.equal(replies.at(-1)!.code, 250);
  }
});
after(() => p.destroy());

describe('THREADID in petrel serve', () => {
  it('a reply found through References shares its parent\'s THREADID; the unrelated message has its own', async () => {
    const client = new ImapFlow({ host: '127.0.0.1', port: p.ports.imaps, secure: true, tls: { rejectUnauthorized: false }, auth: { user: 'alice@example.com', pass: 'alice-pw' }, logger: false });
    await client.connect();
    try {
      await client.mailboxOpen('INBOX', { readOnly: true });
      const got: Array<{ subject?: string; threadId?: string; emailId?: string }> = [];
      for await (const m of client.fetch('1:*', { envelope: true, threadId: true, emailId: true } as never)) got.push({ subject: m.envelope?.subject, threadId: m.threadId, emailId: m.emailId });
      assert.deepEqual(got.map((g) => g.subject), ['plan', 'unrelated', 'Re: plan']);
      assert.ok(got.every((g) => g.threadId?.startsWith('T') && g.emailId?.startsWith('M')));
      assert.equal(got[2]!.threadId, got[0]!.threadId);
      assert.notEqual(got[1]!.threadId, got[0]!.threadId);
      assert.equal(new Set(got.map((g) => g.emailId)).size, 3);
    } finally {
      await client.logout();
    }
  });
});
