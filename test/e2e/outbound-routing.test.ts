/*
 * Outbound delivery end to end, by the RFC 5321 routing rules: a real
 * Petrel submits with swaks, looks the recipients' domains up in a real
 * BIND serving test zones on loopback, and delivers to SMTP peers on
 * other loopback addresses (127.0.0.21...) on one port, as MX hosts of
 * different domains listen. Covers: MX order with a 4xx and a dead host
 * moving on to the next MX, a 5xx bounced with a DSN in the sender's
 * INBOX, null MX (5.1.10, nothing connected), MX to this host (5.4.6),
 * a refusing resolver (deferred 4.4.3, never bounced), 4xx then success
 * on retry, local recipients delivered locally and never sent out, and
 * the DKIM signature the MX receives verifying against the key in DNS.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBind, type BindServer } from '../support/bind.js';
import { dkimZoneLines, inboxSources, SENDER as USER, SENDER_PASSWORD as PASSWORD, startSender, submit, submitWithNodemailer, useResolver, verifyDkim, waitForStatus } from '../support/outbound.js';
import { freePort, type PetrelProcess } from '../support/petrel.js';
import { startScriptedSmtp, type ScriptedSmtp } from '../support/scripted-smtp.js';
import { hasTool, requireTools } from '../support/tools.js';


describe('outbound delivery by MX routing, against BIND and SMTP peers on loopback', () => {
  let bind: BindServer | undefined;
  let p: PetrelProcess;
  const peers: Record<string, ScriptedSmtp> = {};
  let attemptsAtLater = 0;
  const ready = () => hasTool('named') && hasTool('swaks');

  before(async () => {
    if (!ready()) return;
    const port = await freePort();
    const zone = [
      'order IN MX 10 mx1.order.test.',
      'order IN MX 20 mx2.order.test.',
      'mx1.order IN A 127.0.0.21',
      'mx2.order IN A 127.0.0.22',
      'backup IN MX 10 dead.backup.test.',
      'backup IN MX 20 mx2.order.test.',
      'dead.backup IN A 127.0.0.23',
      'reject IN MX 10 mx.reject.test.',
      'mx.reject IN A 127.0.0.24',
      'nullmx IN MX 0 .',
      'nullmx IN A 127.0.0.22',
      'self IN MX 10 mx.petrel.test.',
      'later IN MX 10 mx.later.test.',
      'mx.later IN A 127.0.0.25',
    ];
    peers.mx1 = await startScriptedSmtp({ host: '127.0.0.21', port, handler: (l) => (l.startsWith('RCPT') ? '451 4.3.0 try the other one' : undefined) });
    peers.mx2 = await startScriptedSmtp({ host: '127.0.0.22', port });
    peers.reject = await startScriptedSmtp({ host: '127.0.0.24', port, handler: (l) => (/^RCPT TO:<nobody@/.test(l) ? '550 5.1.1 <nobody@reject.test>: Recipient address rejected: User unknown' : undefined) });
    peers.later = await startScriptedSmtp({ host: '127.0.0.25', port, afterData: () => (++attemptsAtLater === 1 ? '451 4.3.0 come back later' : '250 2.0.0 queued at last') });
    p = await startSender({
      outbound: `port = ${port}\nmin_backoff = "1s"\nmax_backoff = "2s"\nconnect_timeout = "2s"`,
      // The zone publishes the DKIM key made at domain add: BIND starts between that and Petrel's start.
      beforeStart: async (created) => {
        await created.addUser('bob@example.com', 'bob-pw');
        bind = await startBind({ test: zone.join('\n'), 'example.com': await dkimZoneLines(created) });
        useResolver(created, bind.address);
      },
    });
  });
  after(async () => {
    await p?.stop();
    await bind?.stop();
    for (const peer of Object.values(peers)) await peer.close();
  });

  it('goes down the MX list: a 4xx to RCPT moves on to the next MX, which takes the message', async (t) => {
    if (!requireTools(t, 'named', 'swaks')) return;
    const { queueId } = await submit(p, { user: USER, password: PASSWORD, to: ['carol@order.test'] });
    await waitForStatus(p, queueId, 'carol@order.test', 'sent');
    assert.ok(peers.mx1!.sessions.some((s) => s.lines.includes('RCPT TO:<carol@order.test>')), 'the best MX was asked first');
    const session = peers.mx2!.sessions.find((s) => s.lines.includes('RCPT TO:<carol@order.test>'));
    assert.ok(session, 'the second MX got it');
    assert.equal(session.lines[0], 'EHLO mx.petrel.test');
    assert.match(p.log, new RegExp(`sent queue=${queueId} to=<carol@order.test> relay=mx2.order.test\\[127.0.0.22\\]`));
    assert.equal((await p.cli(['queue', 'show', queueId])).code, 1, 'removed once delivered');
  });

  it('signs with the domain\'s DKIM key, which verifies against the record BIND serves', async (t) => {
    if (!requireTools(t, 'named', 'swaks')) return;
    const { queueId } = await submit(p, { user: USER, password: PASSWORD, to: ['dkim@order.test'] });
    await waitForStatus(p, queueId, 'dkim@order.test', 'sent');
    const session = peers.mx2!.sessions.find((s) => s.lines.includes('RCPT TO:<dkim@order.test>'))!;
    const data = session.data[0]!.toString('latin1').replace(/\r\n\.\r\n$/, '\r\n').replace(/\r\n\.\./g, '\r\n.');
    assert.match(data, /^DKIM-Signature: v=1;/);
    const results = await verifyDkim(data, bind!.address);
    assert.deepEqual(results.map((r) => r.status.result), ['pass']);
  });

  it('a dead MX (connection refused) moves on to the next one', async (t) => {
    if (!requireTools(t, 'named', 'swaks')) return;
    const { queueId } = await submit(p, { user: USER, password: PASSWORD, to: ['dave@backup.test'] });
    await waitForStatus(p, queueId, 'dave@backup.test', 'sent');
    assert.match(p.log, new RegExp(`queue=${queueId} "connect failed" host=dead.backup.test address=127.0.0.23 .*ECONNREFUSED`));
  });

  it('a 5xx bounces with a DSN to the sender, in her INBOX, naming the recipient and the remote reply', async (t) => {
    if (!requireTools(t, 'named', 'swaks')) return;
    const before = (await inboxSources(p, USER, PASSWORD)).length;
    const { queueId } = await submit(p, { user: USER, password: PASSWORD, to: ['nobody@reject.test'] });
    await waitForStatus(p, queueId, 'nobody@reject.test', 'bounced');
    await p.waitForLog(/notice|removed/);
    let inbox: string[] = [];
    for (let i = 0; i < 50 && inbox.length <= before; i++) {
      inbox = await inboxSources(p, USER, PASSWORD);
      if (inbox.length <= before) await new Promise((r) => setTimeout(r, 100));
    }
    // Unfolded, so a long field reads as one line.
    const dsn = inbox[inbox.length - 1]!.replace(/\r\n[ \t]+/g, ' ');
    assert.match(dsn, /^From: Mail Delivery System <MAILER-DAEMON@mx\.petrel\.test>/m);
    assert.match(dsn, /Content-Type: multipart\/report; report-type=delivery-status/);
    assert.match(dsn, /Final-Recipient: rfc822; ?nobody@reject\.test/);
    assert.match(dsn, /Action: failed/);
    assert.match(dsn, /Status: 5\.1\.1/);
    assert.match(dsn, /Diagnostic-Code: smtp; ?550 5\.1\.1 <nobody@reject\.test>: Recipient address rejected/);
    assert.match(dsn, /Remote-MTA: dns; ?mx\.reject\.test/);
    assert.match(dsn, /Subject: outbound test/, 'the original comes back');
  });

  it('the DSN honours RET=HDRS, ENVID and ORCPT: headers only, Original-Envelope-Id, Original-Recipient', async (t) => {
    if (!requireTools(t, 'named', 'swaks')) return;
    const before = (await inboxSources(p, USER, PASSWORD)).length;
    const data = 'From: alice@example.com\r\nTo: nobody@reject.test\r\nSubject: headers only please\r\n\r\nThis body must not come back.\r\n';
    const queueId = await submitWithNodemailer(p, { user: USER, password: PASSWORD, to: ['nobody@reject.test'], data, dsn: { ret: 'HDRS', envid: 'my-envelope-7', notify: ['FAILURE'], orcpt: 'rfc822;team@example.com' } });
    await waitForStatus(p, queueId, 'nobody@reject.test', 'bounced');
    let inbox: string[] = [];
    for (let i = 0; i < 50 && inbox.length <= before; i++) {
      inbox = await inboxSources(p, USER, PASSWORD);
      if (inbox.length <= before) await new Promise((r) => setTimeout(r, 100));
    }
    const dsn = inbox[inbox.length - 1]!.replace(/\r\n[ \t]+/g, ' ');
    assert.match(dsn, /Original-Envelope-Id: my-envelope-7/);
    assert.match(dsn, /Original-Recipient: rfc822; ?team@example\.com/);
    assert.match(dsn, /Content-Type: text\/rfc822-headers/);
    assert.match(dsn, /Subject: headers only please/);
    assert.doesNotMatch(dsn, /This body must not come back/);
  });

  it('NOTIFY=NEVER: a bounce sends no DSN', async (t) => {
    if (!requireTools(t, 'named', 'swaks')) return;
    const before = (await inboxSources(p, USER, PASSWORD)).length;
    const queueId = await submitWithNodemailer(p, { user: USER, password: PASSWORD, to: ['nobody@reject.test'], data: 'From: alice@example.com\r\nSubject: never tell me\r\n\r\nx\r\n', dsn: { notify: ['NEVER'] } });
    await waitForStatus(p, queueId, 'nobody@reject.test', 'bounced');
    await p.waitForLog(new RegExp(`removed queue=${queueId}`));
    assert.equal((await inboxSources(p, USER, PASSWORD)).length, before);
  });

  it('a null MX bounces at once with 5.1.10 without connecting anywhere', async (t) => {
    if (!requireTools(t, 'named', 'swaks')) return;
    const sessions = peers.mx2!.sessions.length;
    const { queueId } = await submit(p, { user: USER, password: PASSWORD, to: ['erin@nullmx.test'] });
    await waitForStatus(p, queueId, 'erin@nullmx.test', 'bounced');
    assert.match(p.log, new RegExp(`bounced queue=${queueId} to=<erin@nullmx.test> relay=none delay=[0-9.]+ dsn=5.1.10`));
    assert.equal(peers.mx2!.sessions.length, sessions, 'the A record of a null-MX domain is never used');
  });

  it('an MX that is this host is a loop: 5.4.6', async (t) => {
    if (!requireTools(t, 'named', 'swaks')) return;
    const { queueId } = await submit(p, { user: USER, password: PASSWORD, to: ['frank@self.test'] });
    await waitForStatus(p, queueId, 'frank@self.test', 'bounced');
    assert.match(p.log, new RegExp(`bounced queue=${queueId} to=<frank@self.test> relay=none delay=[0-9.]+ dsn=5.4.6`));
  });

  it('a resolver that refuses (SERVFAIL, REFUSED) defers with 4.4.3 and never bounces', async (t) => {
    if (!requireTools(t, 'named', 'swaks')) return;
    const { queueId } = await submit(p, { user: USER, password: PASSWORD, to: ['gina@elsewhere.example'] });
    await waitForStatus(p, queueId, 'gina@elsewhere.example', 'deferred');
    assert.match(p.log, new RegExp(`deferred queue=${queueId} to=<gina@elsewhere.example> relay=none delay=[0-9.]+ dsn=4.4.3`));
    const show = await p.cli(['queue', 'show', queueId, '--json']);
    const entry = JSON.parse(show.stdout) as { recipients: { status: string; statusCode: string }[]; attempts: unknown[] };
    assert.equal(entry.recipients[0]!.status, 'deferred');
    assert.ok(entry.attempts.length >= 1);
    assert.equal((await p.cli(['queue', 'delete', queueId])).code, 0);
  });

  it('a 4xx after the data is retried and delivered on the next attempt', async (t) => {
    if (!requireTools(t, 'named', 'swaks')) return;
    const { queueId } = await submit(p, { user: USER, password: PASSWORD, to: ['hank@later.test'] });
    await waitForStatus(p, queueId, 'hank@later.test', 'deferred');
    await waitForStatus(p, queueId, 'hank@later.test', 'sent', 30_000);
    assert.equal(peers.later!.sessions.reduce((n, s) => n + s.data.length, 0), 2, 'sent twice (over the same kept connection or a new one)');
  });

  it('delivers local recipients locally, never over the network, and the remote one by MX', async (t) => {
    if (!requireTools(t, 'named', 'swaks')) return;
    const sent = peers.mx2!.sessions.flatMap((s) => s.lines).length;
    const { queueId } = await submit(p, { user: USER, password: PASSWORD, to: ['bob@example.com', 'ivy@order.test'] });
    await waitForStatus(p, queueId, 'ivy@order.test', 'sent');
    const lines = peers.mx2!.sessions.flatMap((s) => s.lines).slice(sent);
    assert.ok(lines.includes('RCPT TO:<ivy@order.test>'));
    assert.ok(!lines.some((l) => /bob@example\.com/.test(l)), 'the local recipient never went out');
    assert.equal((await inboxSources(p, 'bob@example.com', 'bob-pw')).length, 1);
    assert.doesNotMatch(p.log, /to=<bob@example\.com> relay=mx/);
  });

  it('no test traffic left loopback: every connection went to 127.0.0.0/8', async (t) => {
    if (!requireTools(t, 'named', 'swaks')) return;
    const relays = [...p.log.matchAll(/relay=[^\s[]+\[([^\]]*)\]/g)].map((m) => m[1]!);
    assert.ok(relays.length > 0);
    assert.ok(relays.every((a) => a.startsWith('127.')), relays.join(','));
  });
});
