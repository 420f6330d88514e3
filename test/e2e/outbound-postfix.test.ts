/*
 * A real Postfix from Debian as the receiving MX: Petrel finds it by the
 * MX record a real BIND serves, delivers over STARTTLS (Postfix logs
 * ESMTPS), and Postfix stores the message in a Maildir. What arrives is
 * what was submitted, under Petrel's DKIM signature, which still verifies
 * (mailauth, against the key in BIND) after Postfix added its own header
 * fields; a recipient Postfix does not know (550 5.1.1) bounces back to
 * the sender's INBOX with Postfix's reply in the DSN.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { WireDnsClient } from '../../src/dns/wire-client.js';
import { startBind, type BindServer } from '../support/bind.js';
import { dkimZoneLines, inboxSources, SENDER as USER, SENDER_PASSWORD as PASSWORD, startSender, submit, useResolver, waitForStatus } from '../support/outbound.js';
import { freePort, type PetrelProcess } from '../support/petrel.js';
import { PostfixInstance, postfixUnavailable } from '../support/postfix.js';
import { requireTools } from '../support/tools.js';


describe('outbound delivery to a real Postfix MX', () => {
  let bind: BindServer | undefined;
  let postfix: PostfixInstance | undefined;
  let p: PetrelProcess;

  before(async () => {
    if (postfixUnavailable() !== undefined) return;
    const port = await freePort();
    postfix = await PostfixInstance.createReceivingMx({ domains: ['postfix.test'], host: '127.0.0.81', port, myhostname: 'mx.postfix.test', mailboxes: ['ann@postfix.test'] });
    await postfix.start();
    p = await startSender({
      outbound: `port = ${port}\nconnect_timeout = "2s"\nmta_sts = false`,
      // The zone publishes the DKIM key made at domain add: BIND starts between that and Petrel's start.
      beforeStart: async (created) => {
        bind = await startBind({ test: 'postfix IN MX 10 mx.postfix.test.\nmx.postfix IN A 127.0.0.81', 'example.com': await dkimZoneLines(created) });
        useResolver(created, bind.address);
      },
    });
  });
  after(async () => {
    await p?.stop();
    await postfix?.stop();
    await bind?.stop();
  });

  const gate = (t: Parameters<typeof requireTools>[0]) => {
    const why = postfixUnavailable();
    if (why === undefined) return requireTools(t, 'named', 'swaks');
    if (process.env.PETREL_REQUIRE_INTEROP === '1') throw new Error(why);
    t.skip(why);
    return false;
  };

  it('delivers over STARTTLS; Postfix stores it, and the DKIM signature verifies after Postfix\'s own header fields', async (t) => {
    if (!gate(t)) return;
    const data = 'From: Alice <alice@example.com>\r\nTo: ann@postfix.test\r\nSubject: to a real Postfix\r\nMessage-ID: <pf-1@example.com>\r\n\r\nHello Postfix.\r\n';
    const { queueId } = await submit(p, { user: USER, password: PASSWORD, to: ['ann@postfix.test'], data });
    await waitForStatus(p, queueId, 'ann@postfix.test', 'sent');
    const [stored] = await postfix!.waitForMessages(1);
    const text = stored!.bytes.toString('latin1');
    assert.equal(stored!.recipient, 'ann@postfix.test');
    assert.match(text, /^Received: from mx\.petrel\.test [^\n]*\n(?:\t[^\n]*\n)*?\tby mx\.postfix\.test \(Postfix\) with ESMTPS id/m, 'Postfix received it over TLS');
    assert.match(text, /\nSubject: to a real Postfix\n/);
    assert.match(p.log, new RegExp(`sent queue=${queueId} to=<ann@postfix.test> relay=mx.postfix.test\\[127.0.0.81\\] .*dsn=2.0.0`));
    const dns = new WireDnsClient({ servers: [bind!.address], timeoutMs: 1000, tries: 1 });
    const resolver = async (name: string) => {
      const a = await dns.txt(name);
      if (!a.ok) throw Object.assign(new Error(a.detail), { code: a.kind === 'nxdomain' ? 'ENOTFOUND' : 'ENODATA' });
      return a.records.map((r) => [r]);
    };
    const result = await dkimVerify(Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'latin1'), { resolver });
    assert.deepEqual(result.results.map((r: { status: { result: string }; signingDomain: string }) => [r.status.result, r.signingDomain]), [['pass', 'example.com']]);
  });

  it('a recipient Postfix refuses (550 5.1.1) bounces to the sender with Postfix\'s reply in the DSN', async (t) => {
    if (!gate(t)) return;
    const { queueId } = await submit(p, { user: USER, password: PASSWORD, to: ['nobody@postfix.test'] });
    await waitForStatus(p, queueId, 'nobody@postfix.test', 'bounced');
    let dsn = '';
    for (let i = 0; i < 50 && !dsn; i++) {
      dsn = (await inboxSources(p, USER, PASSWORD)).map((m) => m.replace(/\r\n[ \t]+/g, ' ')).find((m) => m.includes('nobody@postfix.test')) ?? '';
      if (!dsn) await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(dsn, /Status: 5\.1\.1/);
    assert.match(dsn, /Diagnostic-Code: smtp; 550 5\.1\.1 <nobody@postfix\.test>/);
    assert.match(dsn, /Remote-MTA: dns; mx\.postfix\.test/);
  });
});
