/*
 * Outbound delivery against scripted receiving MX hosts on Python's
 * aiosmtpd (test/support/smtp-peer.py, Debian's python3-aiosmtpd), found
 * by MX lookups in a real BIND: every misbehaviour the queue must survive.
 *
 *   250                 delivered; RET, ENVID, NOTIFY and ORCPT passed on
 *                       (the peer offers DSN); the message arrives as
 *                       submitted, with our DKIM-Signature on top
 *   451 then 250        deferred, then delivered on the next attempt
 *   452 for some        those deferred, the others delivered
 *   452 4.5.3           (too many recipients) the rest sent at once in a
 *                       second transaction on the same connection
 *   never greets        the next MX takes the message
 *   silent after dot    deferred (4.4.2), delivered on the next attempt
 *   drop after dot      deferred, delivered on the next attempt
 *   no SMTPUTF8         a UTF-8 address bounces with 5.6.7
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBind, type BindServer } from '../support/bind.js';
import { SENDER as USER, SENDER_PASSWORD as PASSWORD, startSender, submit, submitWithNodemailer, waitForStatus } from '../support/outbound.js';
import { freePort, type PetrelProcess } from '../support/petrel.js';
import { requireSmtpPeer, smtpPeerUnavailable, startSmtpPeer, type PeerScript, type SmtpPeer } from '../support/smtp-peer.js';
import { hasTool, requireTools } from '../support/tools.js';

const FULL = { pipelining: true, dsn: true, '8bitmime': true, smtputf8: true, size: 10_485_760, enhancedstatuscodes: true };

describe('outbound delivery against misbehaving MX hosts (aiosmtpd)', () => {
  let bind: BindServer | undefined;
  let p: PetrelProcess;
  const peers: Record<string, SmtpPeer> = {};
  const ready = () => hasTool('named') && hasTool('swaks') && smtpPeerUnavailable() === undefined;
  const gate = (t: Parameters<typeof requireTools>[0]) => requireTools(t, 'named', 'swaks') && requireSmtpPeer(t);

  before(async () => {
    if (!ready()) return;
    const port = await freePort();
    const scripts: Record<string, PeerScript & { host: string }> = {
      ok: { host: '127.0.0.71', extensions: FULL },
      later: { host: '127.0.0.72', extensions: FULL, replies: { dataEnd: [{ reply: '451 4.3.0 Try again later', times: 1 }] } },
      partial: { host: '127.0.0.73', extensions: FULL, rcptReplies: { 'full@partial.test': { reply: '452 4.2.2 Mailbox full' } } },
      many: { host: '127.0.0.74', extensions: FULL, maxRecipients: 2 },
      mute: { host: '127.0.0.75', extensions: FULL, replies: { greeting: { action: 'silent' } } },
      silentdot: { host: '127.0.0.76', extensions: FULL, replies: { dataEnd: [{ action: 'silent', times: 1 }] } },
      dropdot: { host: '127.0.0.77', extensions: FULL, replies: { dataEnd: [{ action: 'drop', times: 1 }] } },
      ascii: { host: '127.0.0.78', extensions: { pipelining: true, '8bitmime': true } },
    };
    for (const [name, script] of Object.entries(scripts)) peers[name] = await startSmtpPeer({ ...script, port, hostname: `mx.${name}.test` });
    const mx = (name: string, host: string) => `${name} IN MX 10 mx.${name}.test.\nmx.${name} IN A ${host}`;
    bind = await startBind({
      test: [
        ...Object.entries(scripts).filter(([n]) => n !== 'mute').map(([n, s]) => mx(n, s.host)),
        'mute IN MX 10 mx.mute.test.',
        'mute IN MX 20 mx.ok.test.',
        `mx.mute IN A ${scripts.mute!.host}`,
      ].join('\n'),
    });
    p = await startSender({
      outbound: `port = ${port}\nmin_backoff = "1s"\nmax_backoff = "2s"\nconnect_timeout = "2s"\ngreeting_timeout = "1s"\nreply_timeout = "2s"`,
      dns: `resolvers = ["${bind.address}"]\ntimeout = "1s"\ntries = 1`,
    });
  });
  after(async () => {
    await p?.stop();
    await bind?.stop();
    for (const peer of Object.values(peers)) await peer.stop();
  });

  it('250: delivered as submitted under our DKIM signature, with RET, ENVID, NOTIFY and ORCPT passed on', async (t) => {
    if (!gate(t)) return;
    const data = 'From: alice@example.com\r\nTo: ann@ok.test\r\nSubject: dsn parameters\r\nMessage-ID: <dsn-1@example.com>\r\n\r\n.a line that starts with a dot\r\nend\r\n';
    const queueId = await submitWithNodemailer(p, { user: USER, password: PASSWORD, to: ['ann@ok.test'], data, dsn: { ret: 'HDRS', envid: 'envelope 42', notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;list@example.com' } });
    await waitForStatus(p, queueId, 'ann@ok.test', 'sent');
    const [tx] = await peers.ok!.waitFor(1);
    assert.equal(tx!.helo?.name, 'mx.petrel.test');
    assert.equal(tx!.mail.address, USER);
    assert.ok(tx!.mail.params.includes('RET=HDRS') && tx!.mail.params.includes('ENVID=envelope+2042'), tx!.mail.params.join(' '));
    assert.deepEqual(tx!.rcpts.map((r) => [r.address, r.params]), [['ann@ok.test', ['NOTIFY=SUCCESS,FAILURE', 'ORCPT=rfc822;list@example.com']]]);
    const received = tx!.message!.toString('latin1');
    assert.match(received, /^DKIM-Signature: v=1; ?\r?\n?\s*a=rsa-sha256;/);
    assert.ok(received.endsWith('\r\n\r\n.a line that starts with a dot\r\nend\r\n'), 'the body arrives unstuffed and unchanged');
    assert.doesNotMatch(p.log, new RegExp(`queue=${queueId} .*relayed`), 'the peer offers DSN: it sends the success notice, not us');
  });

  it('451 at the end of data, then 250: deferred, then delivered on the next attempt', async (t) => {
    if (!gate(t)) return;
    const { queueId } = await submit(p, { user: USER, password: PASSWORD, to: ['bob@later.test'] });
    await waitForStatus(p, queueId, 'bob@later.test', 'deferred');
    assert.match(p.log, new RegExp(`deferred queue=${queueId} to=<bob@later.test> .*dsn=4.3.0 .*Try again later`));
    await waitForStatus(p, queueId, 'bob@later.test', 'sent');
    const txs = await peers.later!.waitFor(2);
    assert.deepEqual(txs.map((x) => x.reply?.slice(0, 3)), ['451', '250']);
  });

  it('452 for one recipient: it is deferred and retried, the other is delivered once', async (t) => {
    if (!gate(t)) return;
    const { queueId } = await submit(p, { user: USER, password: PASSWORD, to: ['ok@partial.test', 'full@partial.test'] });
    await waitForStatus(p, queueId, 'ok@partial.test', 'sent');
    await waitForStatus(p, queueId, 'full@partial.test', 'deferred');
    const entry = JSON.parse((await p.cli(['queue', 'show', queueId, '--json'])).stdout) as { recipients: { recipient: string; status: string; lastReply: string }[] };
    assert.deepEqual(entry.recipients.map((r) => [r.recipient, r.status]), [['full@partial.test', 'deferred'], ['ok@partial.test', 'delivered']]);
    assert.match(entry.recipients[0]!.lastReply, /^452 4\.2\.2 Mailbox full/);
    const txs = await peers.partial!.transactions();
    assert.equal(txs.filter((x) => x.reply?.startsWith('250')).length, 1, 'the accepted recipient got one copy');
    assert.ok(txs.every((x) => x.rcpts.filter((r) => r.address === 'ok@partial.test').length <= 1));
    assert.equal((await p.cli(['queue', 'delete', queueId])).code, 0);
  });

  it('452 4.5.3 (too many recipients): the rest go at once in another transaction on the same connection', async (t) => {
    if (!gate(t)) return;
    const to = ['r1@many.test', 'r2@many.test', 'r3@many.test', 'r4@many.test', 'r5@many.test'];
    const { queueId } = await submit(p, { user: USER, password: PASSWORD, to });
    for (const r of to) await waitForStatus(p, queueId, r, 'sent');
    const txs = await peers.many!.waitFor(3);
    assert.deepEqual(txs.map((x) => x.rcpts.filter((r) => r.reply.startsWith('250')).length), [2, 2, 1]);
    assert.equal(new Set(txs.map((x) => x.connection)).size, 1, 'one connection');
    assert.doesNotMatch(p.log, new RegExp(`deferred queue=${queueId}`));
  });

  it('an MX that never greets: the next MX takes the message', async (t) => {
    if (!gate(t)) return;
    const { queueId } = await submit(p, { user: USER, password: PASSWORD, to: ['cat@mute.test'] });
    await waitForStatus(p, queueId, 'cat@mute.test', 'sent');
    assert.match(p.log, new RegExp(`queue=${queueId} "connect failed" host=mx.mute.test .*stage=greeting`));
    assert.match(p.log, new RegExp(`sent queue=${queueId} to=<cat@mute.test> relay=mx.ok.test`));
    assert.equal((await peers.mute!.transactions()).filter((x) => x.mail).length, 0);
  });

  it('silent after the final dot: deferred as a lost connection (4.4.2), then delivered', async (t) => {
    if (!gate(t)) return;
    const { queueId } = await submit(p, { user: USER, password: PASSWORD, to: ['dan@silentdot.test'] });
    await waitForStatus(p, queueId, 'dan@silentdot.test', 'deferred');
    assert.match(p.log, new RegExp(`deferred queue=${queueId} to=<dan@silentdot.test> .*dsn=4.4.2`));
    await waitForStatus(p, queueId, 'dan@silentdot.test', 'sent');
  });

  it('a connection dropped right after the final dot counts as temporary: deferred, then delivered', async (t) => {
    if (!gate(t)) return;
    const { queueId } = await submit(p, { user: USER, password: PASSWORD, to: ['eve@dropdot.test'] });
    await waitForStatus(p, queueId, 'eve@dropdot.test', 'deferred');
    await waitForStatus(p, queueId, 'eve@dropdot.test', 'sent');
    const txs = await peers.dropdot!.waitFor(2);
    assert.deepEqual(txs.map((x) => x.reply === 'dropped' ? 'dropped' : x.reply?.slice(0, 3)), ['dropped', '250']);
  });

  it('a UTF-8 address to a host without SMTPUTF8 bounces with 5.6.7, and nothing is sent', async (t) => {
    if (!gate(t)) return;
    const queueId = await submitWithNodemailer(p, { user: USER, password: PASSWORD, to: ['jörg@ascii.test'], data: 'From: alice@example.com\r\nTo: jörg@ascii.test\r\nSubject: utf8\r\n\r\nx\r\n' });
    await waitForStatus(p, queueId, 'jörg@ascii.test', 'bounced');
    assert.match(p.log, new RegExp(`bounced queue=${queueId} .*dsn=5.6.7 .*SMTPUTF8 is required, but was not offered`));
    assert.equal((await peers.ascii!.transactions()).filter((x) => x.mail).length, 0);
  });
});
