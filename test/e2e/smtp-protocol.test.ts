/*
 * Protocol abuse that Postfix refuses and smtp-server alone would not:
 * the message sent before the 354 (unauthenticated pipelining) and
 * HTTP request or header lines, including CONNECT host:port.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PetrelProcess } from '../support/petrel.js';
import { message, RawSmtp } from '../support/smtp-client.js';
import { isForeignProtocolLine } from '../../src/endpoints/smtp/protocol-guards.js';

let p: PetrelProcess;
before(async () => {
  p = await PetrelProcess.create();
  await p.start();
  await p.addDomain('example.com');
  await p.addUser('alice@example.com', 'pw');
});
after(() => p.destroy());

describe('greeting', () => {
  it('greets a trusted (loopback) client at once: no fixed pause before the banner', async () => {
    const started = performance.now();
    const c = await RawSmtp.open(p.ports.mx);
    const banner = await c.reply();
    const elapsed = performance.now() - started;
    c.close();
    assert.equal(banner.code, 220);
    assert.ok(elapsed < 60, `banner after ${elapsed.toFixed(0)} ms`);
  });
});

describe('unauthenticated pipelining', () => {
  it('refuses a message sent together with DATA, before the 354', async () => {
    const c = await RawSmtp.open(p.ports.mx);
    await c.reply();
    await c.command('EHLO spambot.test');
    c.write('MAIL FROM:<x@remote.test>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n' + message({ Subject: 'blast', 'Message-ID': '<blast@test>' }, 'buy now') + '\r\n.\r\n');
    assert.equal((await c.reply()).code, 250);
    assert.equal((await c.reply()).code, 250);
    assert.equal((await c.reply()).code, 354);
    const reply = await c.reply();
    assert.equal(reply.code, 503, reply.text);
    assert.match(reply.text, /5\.5\.0 Improper use of SMTP command pipelining/);
    c.close();
    assert.doesNotMatch(p.log, /message-id=<blast@test>/);
  });

  it('accepts MAIL, RCPT and DATA pipelined as RFC 2920 allows, with the message after the 354', async () => {
    const c = await RawSmtp.open(p.ports.mx);
    await c.reply();
    await c.command('EHLO polite.test');
    c.write('MAIL FROM:<x@remote.test>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n');
    assert.equal((await c.reply()).code, 250);
    assert.equal((await c.reply()).code, 250);
    assert.equal((await c.reply()).code, 354);
    c.write(message({ Subject: 'polite', 'Message-ID': '<polite@test>' }, 'hello') + '\r\n.\r\n');
    assert.equal((await c.reply()).code, 250);
    c.close();
  });
});

describe('foreign protocols on the SMTP port', () => {
  const lines = ['CONNECT mail.example.com:25 HTTP/1.1', 'GET http://example.com/ HTTP/1.0', 'POST /form HTTP/1.1', 'Host: example.com', 'User-Agent: curl/8'];
  for (const line of lines) {
    it(`ends the session at "${line}"`, async () => {
      const c = await RawSmtp.open(p.ports.mx);
      await c.reply();
      await c.command('EHLO x');
      const reply = await c.command(line);
      assert.equal(reply.code, 421, reply.text);
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(c.closed, 'connection closed');
    });
  }

  it('does not mistake SMTP or AUTH exchanges for foreign lines', () => {
    for (const ok of ['MAIL FROM: <a@b.example>', 'RCPT TO:<x@y.example>', 'EHLO host', 'R0VUIC8gSFRUUC8xLjE=', 'NOOP']) assert.equal(isForeignProtocolLine(ok, false), false, ok);
    assert.equal(isForeignProtocolLine('Host: x', true), false, 'inside an AUTH exchange, only HTTP verbs end the session');
  });
});
