/*
 * IDLE in the running server (`petrel serve`): a message accepted by the
 * MX goes through the commit worker thread and reaches an imapflow client
 * idling on the IMAPS role, and a raw client idling on the STARTTLS role,
 * within a second of the 250, and its deletion by a POP3 QUIT reaches the
 * raw client as EXPUNGE: proves the server wires the committer's results,
 * both IMAP listeners and POP3 to one change feed.
 *
 * Security: test only; 127.0.0.1; the server's own self-signed certificate.
 * Standards: RFC 2177, RFC 5321, RFC 1939.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { PetrelProcess } from '../support/petrel.js';
import { message, RawSmtp } from '../support/smtp-client.js';
import { ImapWire } from '../support/imap-wire.js';

let p: PetrelProcess;

before(async () => {
  p = await PetrelProcess.create({ logLevel: 'info' });
  await p.start();
  await p.addDomain('example.com');
  await p.addUser('alice@example.com', 'alice-pw');
});
after(() => p.destroy());

/** A raw client on the STARTTLS role, upgraded and logged in. */
async function starttlsClient(): Promise<ImapWire> {
  const plain = new ImapWire(connect({ host: '127.0.0.1', port: p.ports.imap }));
  await plain.until(/^\* OK .*\r\n/m);
  await plain.cmd('t', 'STARTTLS');
  plain.sock.removeAllListeners('data');
  const w = new ImapWire(tls.connect({ socket: plain.sock, rejectUnauthorized: false, servername: 'localhost' }));
  assert.match(await w.cmd('l', 'LOGIN alice@example.com alice-pw'), /^l OK/m);
  return w;
}

describe('IDLE in petrel serve', () => {
  it('an SMTP delivery reaches imapflow idling on IMAPS and a raw client idling on IMAP+STARTTLS within 1 s', async () => {
    const client = new ImapFlow({ host: '127.0.0.1', port: p.ports.imaps, secure: true, tls: { rejectUnauthorized: false }, auth: { user: 'alice@example.com', pass: 'alice-pw' }, logger: false, disableAutoIdle: true });
    await client.connect();
    await client.mailboxOpen('INBOX');
    const exists = new Promise<number>((resolve) => client.on('exists', () => resolve(Date.now())));
    const idling = client.idle();
    const raw = await starttlsClient();
    await raw.cmd('s', 'SELECT INBOX');
    raw.write('i IDLE\r\n');
    await raw.until(/^\+ idling\r\n/m);
    await new Promise((r) => setTimeout(r, 100));

    const smtp = await RawSmtp.open(p.ports.mx);
    const replies = await smtp.send({ from: 'bob@example.org', to: ['alice@example.com'], message: message({ From: 'bob@example.org', To: 'alice@example.com', Subject: 'ping' }, 'wake up\r\n') });
    const accepted = Date.now();
    smtp.close();
    assert.equal(replies[replies.length - 1]!.code, 250);
    await raw.until(/^\* 1 EXISTS\r\n/m, 1000);
    assert.ok((await exists) - accepted < 1000);

    // POP3 deletes it at QUIT: the IMAP client still idling is told.
    const pop = new ImapWire(tls.connect({ host: '127.0.0.1', port: p.ports.pop3s, rejectUnauthorized: false }));
    await pop.until(/^\+OK/m);
    for (const line of ['USER alice@example.com', 'PASS alice-pw', 'DELE 1']) {
      const at = pop.mark();
      pop.write(`${line}\r\n`);
      await pop.until(/^(\+OK|-ERR)/m, 5000, at);
      assert.match(pop.since(at), /^\+OK/, line);
    }
    const quitAt = pop.mark();
    pop.write('QUIT\r\n');
    await pop.until(/^\+OK/m, 5000, quitAt);
    const deleted = Date.now();
    await raw.until(/^\* 1 EXPUNGE\r\n/m, 1000);
    assert.ok(Date.now() - deleted < 1000);
    pop.close();
    raw.write('DONE\r\n');
    await raw.until(/^i OK/m);
    raw.close();
    await client.noop();
    await idling;
    await client.logout();
  });
});
