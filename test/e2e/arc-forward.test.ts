/*
 * ARC sealing of forwarded mail, end to end: a message from ann@sender.test
 * reaches Petrel's MX from 127.0.0.2 (not trusted here), passes SPF and
 * DMARC against a real BIND, and goes to an alias of example.com pointing
 * at bob@remote.test; the remote MX (a scripted peer on 127.0.0.21)
 * receives it with one ARC Set (i=1, cv=none) signed by example.com's own
 * key, which mailauth validates against the record BIND serves, carrying
 * our Authentication-Results.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { arc } from 'mailauth/lib/arc/index.js';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { startBind, type BindServer } from '../support/bind.js';
import { dkimZoneLines, startSender, txtResolver, useResolver, waitForStatus } from '../support/outbound.js';
import { freePort, type PetrelProcess } from '../support/petrel.js';
import { startScriptedSmtp, type ScriptedSmtp } from '../support/scripted-smtp.js';
import { hasTool, requireTools, swaks } from '../support/tools.js';

describe('ARC sealing of mail an alias forwards', () => {
  let bind: BindServer | undefined;
  let p: PetrelProcess | undefined;
  let peer: ScriptedSmtp | undefined;
  const ready = () => hasTool('named') && hasTool('swaks');

  before(async () => {
    if (!ready()) return;
    const port = await freePort();
    peer = await startScriptedSmtp({ host: '127.0.0.21', port });
    const zone = ['remote IN MX 10 mx.remote.test.', 'mx.remote IN A 127.0.0.21', 'sender IN TXT "v=spf1 ip4:127.0.0.2 -all"', '_dmarc.sender IN TXT "v=DMARC1; p=reject"'];
    p = await startSender({
      outbound: `port = ${port}\nconnect_timeout = "2s"`,
      smtp: 'trusted_networks = ["127.0.0.1/32"]\ngreeting_delay = 0',
      beforeStart: async (created) => {
        const alias = await created.cli(['alias', 'add', 'fwd@example.com', 'bob@remote.test']);
        assert.equal(alias.code, 0, alias.stderr);
        bind = await startBind({ test: zone.join('\n'), 'example.com': await dkimZoneLines(created) });
        useResolver(created, bind.address);
      },
    });
  });
  after(async () => {
    await p?.stop();
    await bind?.stop();
    await peer?.close();
  });

  it('the remote MX gets an ARC Set by example.com over our Authentication-Results, and it validates', async (t) => {
    if (!requireTools(t, 'named', 'swaks')) return;
    const sent = await swaks(['--server', `127.0.0.1:${p!.ports.mx}`, '--local-interface', '127.0.0.2', '--ehlo', 'mta.sender.test', '--from', 'ann@sender.test', '--to', 'fwd@example.com', '--header', 'From: ann@sender.test', '--header', 'Subject: forwarded']);
    const queueId = /250 2\.0\.0 Ok: queued as (\S+)/.exec(sent.stdout)?.[1];
    assert.ok(queueId, sent.stdout);
    await waitForStatus(p!, queueId, 'bob@remote.test', 'sent');
    const session = peer!.sessions.find((s) => s.lines.some((l) => l.startsWith('RCPT TO:<bob@remote.test>')));
    assert.ok(session, 'the remote MX got it');
    // The data section as sent: dot-stuffed, ending in CRLF.CRLF.
    const text = session.data[0]!.toString('latin1').replace(/\r\n\.\r\n$/, '\r\n').replace(/\r\n\.\./g, '\r\n.');
    const message = Buffer.from(text, 'latin1');
    assert.match(text, /^ARC-Seal: i=1; a=rsa-sha256; t=\d+; cv=none;\s+d=example\.com;/);
    assert.match(text.replace(/\r\n[ \t]+/g, ' '), /\r\nARC-Authentication-Results: i=1; mx\.petrel\.test; spf=pass [^\r]*dmarc=pass [^\r]*header\.from=sender\.test/);

    const resolver = txtResolver(bind!.address);
    const verified = await dkimVerify(message, { resolver });
    const chain = await arc(verified.arc as never, { resolver });
    assert.equal(chain.status.result, 'pass', JSON.stringify(chain.status));
  });
});
