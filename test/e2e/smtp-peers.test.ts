/*
 * Self-tests of the receiving-MX peers that outbound-delivery tests send
 * to: the scripted aiosmtpd peer (support/smtp-peer.ts) driven by swaks
 * for plain, pipelined and STARTTLS transactions and by raw Node sockets
 * for the misbehaviours swaks cannot observe (silence, drops, broken
 * TLS), and Postfix as a receiving MX (support/postfix.ts) storing what
 * swaks delivers in a Maildir. Each test proves a harness promise the
 * delivery tests will rely on: what is recorded, what the counters do,
 * and that every reply line ends in CRLF.
 *
 * Security: everything listens on and connects to 127.0.0.0/8 only.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import tls from 'node:tls';
import { createTestCa, issueCertificate, makeTempDir, writePemPair, type TestCa } from '../support/certs.js';
import { freePorts } from '../support/petrel.js';
import { PostfixInstance, postfixUnavailable } from '../support/postfix.js';
import { requireSmtpPeer, startSmtpPeer, type PeerScript, type SmtpPeer, type TranscriptEntry } from '../support/smtp-peer.js';
import { SmtpWire } from '../support/smtp-wire.js';
import { requireTools, swaks } from '../support/tools.js';

// Dot-leading lines (stuffed by the client, unstuffed by the peer), a line
// that is only a dot, 8-bit text and a final line: the peer must hand back
// exactly these octets. swaks ends the data with CRLF . CRLF itself, so the
// file it sends is the message without its last CRLF.
const MESSAGE = [
  'From: Sender <a@sender.test>',
  'To: b@peer.test',
  'Subject: exact bytes',
  'Message-ID: <exact-1@sender.test>',
  '',
  '.a line that starts with a dot',
  '..two dots',
  '.',
  'caf\u00e9 in UTF-8',
  'the end',
  '',
].join('\r\n');

async function ready(t: TestContext): Promise<boolean> {
  return requireTools(t, 'python3', 'swaks') && requireSmtpPeer(t);
}

async function peer(t: TestContext, script: PeerScript): Promise<SmtpPeer> {
  const p = await startSmtpPeer(script);
  t.after(() => p.stop());
  return p;
}

async function tempDir(t: TestContext): Promise<string> {
  const { dir, cleanup } = await makeTempDir('petrel-peers-');
  t.after(cleanup);
  return dir;
}

function swaksTo(p: { host: string; port: number }, args: string[]) {
  return swaks(['--server', `${p.host}:${p.port}`, '--ehlo', 'client.sender.test', '--from', 'a@sender.test', '--timeout', '5', ...args], 15_000);
}

/** Every line the peer wrote ends in CRLF (no bare LF, no bare CR). */
function assertCrlf(transcript: string): void {
  assert.doesNotMatch(transcript, /[^\r]\n|\r[^\n]|^\n/, `a reply line without CRLF:\n${JSON.stringify(transcript)}`);
}

/** Command lines of one connection between MAIL and DATA. */
function envelopeCommands(entries: TranscriptEntry[]): { line: string; repliesBefore: number }[] {
  const commands = entries.filter((e): e is Extract<TranscriptEntry, { dir: 'C' }> => e.dir === 'C');
  const from = commands.findIndex((c) => /^MAIL /i.test(c.line));
  const to = commands.findIndex((c) => /^DATA$/i.test(c.line));
  return commands.slice(from, to + 1).map(({ line, repliesBefore }) => ({ line, repliesBefore }));
}

/** Connects to a peer on 127.0.0.1, reads the greeting and says EHLO. */
async function session(p: SmtpPeer): Promise<SmtpWire> {
  const wire = await SmtpWire.connect(p.port);
  assert.equal((await wire.read()).code, 220);
  assert.equal((await wire.cmd('EHLO client.sender.test')).code, 250);
  return wire;
}

/** MAIL, RCPT, DATA and the message with its final dot; returns once the dot is written. */
async function sendUpToDot(wire: SmtpWire, body: string): Promise<void> {
  assert.equal((await wire.cmd('MAIL FROM:<a@sender.test>')).code, 250);
  assert.equal((await wire.cmd('RCPT TO:<b@peer.test>')).code, 250);
  assert.equal((await wire.cmd('DATA')).code, 354);
  wire.write(Buffer.from(`${body}.\r\n`, 'utf8'));
}

async function certificateFiles(t: TestContext, ca: TestCa, names: string[], base: string): Promise<{ cert: string; key: string }> {
  return writePemPair(await tempDir(t), base, await issueCertificate(ca, names));
}

describe('scripted SMTP peer (aiosmtpd)', () => {
  it('records a plain transaction: EHLO name, envelope, the message byte for byte after dot-unstuffing, the replies', async (t) => {
    if (!(await ready(t))) return;
    const p = await peer(t, { hostname: 'mx.peer.test', extensions: { pipelining: true, '8bitmime': true, size: 100_000, enhancedstatuscodes: true } });
    const file = join(await tempDir(t), 'message.eml');
    writeFileSync(file, MESSAGE.slice(0, -2));
    const r = await swaksTo(p, ['--to', 'b@peer.test', '--data', `@${file}`]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /<- {2}220 mx\.peer\.test ESMTP/);
    assert.match(r.stdout, /<- {2}250-mx\.peer\.test\n<- {2}250-PIPELINING\n<- {2}250-SIZE 100000\n<- {2}250-ENHANCEDSTATUSCODES\n<- {2}250 8BITMIME\n/);

    const [txn] = await p.waitFor(1);
    assert.ok(txn);
    assert.equal(txn.connection, 1);
    assert.equal(txn.tls, null);
    assert.deepEqual(txn.helo, { verb: 'EHLO', name: 'client.sender.test' });
    assert.deepEqual(txn.mail, { address: 'a@sender.test', params: [], reply: '250 2.1.0 Ok' });
    assert.deepEqual(txn.rcpts, [{ address: 'b@peer.test', params: [], reply: '250 2.1.5 Ok' }]);
    assert.equal(txn.dataReply, '354 End data with <CR><LF>.<CR><LF>');
    assert.deepEqual(txn.message, Buffer.from(MESSAGE, 'utf8'));
    assert.equal(txn.reply, '250 2.0.0 Ok: queued as P1');
    assert.equal(txn.ended, 'data');
    assert.equal(p.connections(), 1);
    // The transcript has the stuffed final dot with the message size, not the content.
    const dot = (await p.transcript(1)).find((e) => e.dir === 'C' && e.line === '.');
    assert.ok(dot && dot.dir === 'C' && dot.dataOctets !== undefined && dot.dataOctets > Buffer.byteLength(MESSAGE));
  });

  it('records MAIL and RCPT parameters verbatim (null sender, DSN, SMTPUTF8), and refuses unadvertised or oversized ones as servers do', async (t) => {
    if (!(await ready(t))) return;
    const p = await peer(t, { extensions: { dsn: true, smtputf8: true, '8bitmime': true, size: 1000, requiretls: true } });
    const wire = await session(p);
    t.after(() => wire.close());
    // REQUIRETLS is only offered under TLS, so in plaintext it is an unknown parameter.
    assert.match((await wire.cmd('MAIL FROM:<a@sender.test> REQUIRETLS')).text, /^555 5\.5\.4 /);
    assert.match((await wire.cmd('MAIL FROM:<a@sender.test> SIZE=5000')).text, /^552 5\.3\.4 /);
    assert.equal((await wire.cmd('MAIL FROM:<> RET=HDRS ENVID=QQ+2Bid-1 SMTPUTF8 BODY=8BITMIME SIZE=200')).code, 250);
    wire.write(Buffer.from('RCPT TO:<jos\u00e9@peer.test> NOTIFY=SUCCESS,FAILURE ORCPT=utf-8;jos\\x{E9}@peer.test\r\n', 'utf8'));
    assert.equal((await wire.read()).code, 250);
    assert.match((await wire.cmd('RCPT TO:<c@peer.test> NOTIFY=SOMETIMES')).text, /^501 5\.5\.4 /);
    assert.equal((await wire.cmd('DATA')).code, 354);
    wire.write('Subject: x\r\n\r\nhi\r\n.\r\n');
    assert.equal((await wire.read()).code, 250);
    assertCrlf(wire.transcript);

    const txns = await p.waitFor(3);
    assert.deepEqual(txns.map((x) => [x.mail.reply.slice(0, 3), x.ended]), [['555', 'mail-refused'], ['552', 'mail-refused'], ['250', 'data']]);
    const good = txns[2]!;
    assert.deepEqual(good.mail, { address: '', params: ['RET=HDRS', 'ENVID=QQ+2Bid-1', 'SMTPUTF8', 'BODY=8BITMIME', 'SIZE=200'], reply: '250 2.1.0 Ok' });
    assert.deepEqual(good.rcpts.map((r) => [r.address, r.params, r.reply.slice(0, 3)]), [
      ['jos\u00e9@peer.test', ['NOTIFY=SUCCESS,FAILURE', 'ORCPT=utf-8;jos\\x{E9}@peer.test'], '250'],
      ['c@peer.test', ['NOTIFY=SOMETIMES'], '501'],
    ]);
    assert.deepEqual(good.message, Buffer.from('Subject: x\r\n\r\nhi\r\n'));
  });

  it('answers listed recipients 452 and 550, tempfails the first 2 transactions at end of data and accepts the third', async (t) => {
    if (!(await ready(t))) return;
    const p = await peer(t, {
      rcptReplies: { 'Full@peer.test': { reply: '452 4.5.3 Too many recipients' }, 'nobody@peer.test': { reply: '550 5.1.1 No such user' } },
      replies: { dataEnd: [{ reply: '451 4.3.0 Try again later', times: 2 }] },
    });
    const outputs: string[] = [];
    for (let i = 0; i < 3; i++) outputs.push((await swaksTo(p, ['--to', 'ok@peer.test,full@peer.test,nobody@peer.test'])).stdout);
    assert.match(outputs[0]!, /<\*\* 452 4\.5\.3 Too many recipients/);
    assert.match(outputs[0]!, /<\*\* 550 5\.1\.1 No such user/);
    assert.match(outputs[0]!, /<\*\* 451 4\.3\.0 Try again later/);
    assert.match(outputs[2]!, /<- {2}250 2\.0\.0 Ok: queued as P3/);

    const txns = await p.waitFor(3);
    assert.deepEqual(txns.map((x) => x.reply), ['451 4.3.0 Try again later', '451 4.3.0 Try again later', '250 2.0.0 Ok: queued as P3']);
    for (const txn of txns) {
      assert.deepEqual(txn.rcpts.map((r) => `${r.address} ${r.reply}`), ['ok@peer.test 250 2.1.5 Ok', 'full@peer.test 452 4.5.3 Too many recipients', 'nobody@peer.test 550 5.1.1 No such user']);
    }
    assert.deepEqual(txns.map((x) => x.connection), [1, 2, 3]);
    assert.equal(p.connections(), 3);
  });

  it('refuses MAIL by script (550, then a 421 that closes the connection) and recipients past maxRecipients with 452 4.5.3', async (t) => {
    if (!(await ready(t))) return;
    const p = await peer(t, { maxRecipients: 2, replies: { mail: [{ reply: '550 5.7.1 Sender rejected', times: 1 }, { reply: '421 4.7.0 Too busy, closing', times: 1 }] } });
    const refused = await swaksTo(p, ['--to', 'b@peer.test']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stdout, /<\*\* 550 5\.7\.1 Sender rejected/);
    const busy = await swaksTo(p, ['--to', 'b@peer.test']);
    assert.match(busy.stdout, /<\*\* 421 4\.7\.0 Too busy, closing/);
    await p.waitForClosed(2);
    const many = await swaksTo(p, ['--to', 'r1@peer.test,r2@peer.test,r3@peer.test']);
    assert.match(many.stdout, /RCPT TO:<r3@peer\.test>\n<\*\* 452 4\.5\.3 /);

    const txns = await p.waitFor(3);
    assert.deepEqual(txns.map((x) => [x.mail.reply, x.ended]), [['550 5.7.1 Sender rejected', 'mail-refused'], ['421 4.7.0 Too busy, closing', 'mail-refused'], ['250 2.1.0 Ok', 'data']]);
    assert.deepEqual(txns[2]!.rcpts.map((r) => r.reply.slice(0, 3)), ['250', '250', '452']);
    assert.ok((await p.transcript(2)).some((e) => e.dir === '*' && e.event === 'close-after-reply'));
  });

  it('shows pipelining in the transcript: with swaks --pipeline MAIL, RCPTs and DATA arrive before any of their replies; without, one by one', async (t) => {
    if (!(await ready(t))) return;
    const p = await peer(t, { extensions: { pipelining: true } });
    const piped = await swaksTo(p, ['--to', 'b@peer.test,c@peer.test', '--pipeline']);
    assert.equal(piped.code, 0, piped.stdout);
    const plain = await swaksTo(p, ['--to', 'b@peer.test,c@peer.test']);
    assert.equal(plain.code, 0, plain.stdout);
    await p.waitForClosed(2);

    const grouped = envelopeCommands(await p.transcript(1));
    assert.deepEqual(grouped.map((c) => c.line), ['MAIL FROM:<a@sender.test>', 'RCPT TO:<b@peer.test>', 'RCPT TO:<c@peer.test>', 'DATA']);
    assert.equal(new Set(grouped.map((c) => c.repliesBefore)).size, 1, JSON.stringify(grouped));
    const stepwise = envelopeCommands(await p.transcript(2));
    assert.deepEqual(stepwise.map((c) => c.repliesBefore), [2, 3, 4, 5].map((n) => n + stepwise[0]!.repliesBefore - 2));
  });

  it('does STARTTLS with the given certificate: the SNI name and TLS are recorded, nothing but EHLO and STARTTLS comes in plaintext, REQUIRETLS is offered only after TLS', async (t) => {
    if (!(await ready(t))) return;
    const ca = await createTestCa('Peer Test CA');
    const files = await certificateFiles(t, ca, ['mx1.peer.test'], 'mx1');
    const p = await peer(t, { hostname: 'mx1.peer.test', starttls: files, extensions: { requiretls: true, pipelining: true } });
    const r = await swaksTo(p, ['--to', 'b@peer.test', '-tls', '--tls-sni', 'mx1.peer.test']);
    assert.equal(r.code, 0, r.stdout + r.stderr);

    const [txn] = await p.waitFor(1);
    assert.ok(txn?.tls, 'the transaction ran under TLS');
    assert.equal(txn.tls.sni, 'mx1.peer.test');
    assert.match(txn.tls.version ?? '', /^TLSv1\.[23]$/);
    assert.deepEqual(txn.helo, { verb: 'EHLO', name: 'client.sender.test' });
    const entries = await p.transcript(1);
    assert.deepEqual(entries.filter((e) => e.dir === 'C' && !e.tls).map((e) => e.dir === 'C' && e.line), ['EHLO client.sender.test', 'STARTTLS']);
    const offered = (secure: boolean) => entries.filter((e) => e.dir === 'S' && e.tls === secure).map((e) => e.dir === 'S' && e.line);
    assert.ok(offered(false).some((l) => /^250[- ]STARTTLS$/.test(l || '')) && !offered(false).some((l) => /REQUIRETLS/.test(l || '')));
    assert.ok(offered(true).some((l) => /^250[- ]REQUIRETLS$/.test(l || '')) && !offered(true).some((l) => /STARTTLS/.test(l || '')));
    assert.ok(entries.some((e) => e.dir === '*' && e.event === 'tls' && e.sni === 'mx1.peer.test'));
  });

  it('breaks STARTTLS on request: 220 then close, 220 then silence, and a certificate for another name fails verification', async (t) => {
    if (!(await ready(t))) return;
    const ca = await createTestCa('Peer Test CA');
    const wrongName = await certificateFiles(t, ca, ['not-this-mx.test'], 'wrong');
    const p = await peer(t, { starttls: wrongName, replies: { starttls: [{ then: 'close', times: 1 }, { then: 'hang', times: 1 }] } });

    const closing = await session(p);
    assert.equal((await closing.cmd('STARTTLS')).code, 220);
    assert.equal(await closing.closesWithin(2000), true, 'closed after 220');

    const hanging = await session(p);
    t.after(() => hanging.close());
    assert.equal((await hanging.cmd('STARTTLS')).code, 220);
    const stalled = tls.connect({ socket: hanging.socket, servername: 'mx.peer.test', ca: ca.certPem });
    stalled.on('error', () => {});
    const handshake = await Promise.race([
      new Promise<string>((res) => stalled.once('secureConnect', () => res('handshake done'))),
      new Promise<string>((res) => setTimeout(() => res('no handshake'), 500)),
    ]);
    assert.equal(handshake, 'no handshake');
    assert.equal(hanging.isClosed, false, 'the connection stays open');

    const mismatch = await session(p);
    assert.equal((await mismatch.cmd('STARTTLS')).code, 220);
    const secure = tls.connect({ socket: mismatch.socket, servername: 'mx.peer.test', ca: ca.certPem });
    const error = await new Promise<NodeJS.ErrnoException>((res) => {
      secure.once('error', res);
      secure.once('secureConnect', () => res(Object.assign(new Error('handshake succeeded'), { code: 'none' })));
    });
    assert.equal(error.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
    secure.destroy();
    // The peer sees the client abandon the handshake.
    await p.waitForClosed(2);
    for (let i = 0; i < 100 && !(await p.transcript(3)).some((e) => e.dir === '*' && e.event === 'tls-failed'); i++) await sleep(20);
    assert.ok((await p.transcript(3)).some((e) => e.dir === '*' && e.event === 'tls-failed'), JSON.stringify(await p.transcript(3)));
    assertCrlf(closing.transcript + hanging.transcript + mismatch.transcript);
  });

  it('plays greetings by count: silence (the client times out), a late 220, a 421 that closes, a 554 with 503 until QUIT, then normal', async (t) => {
    if (!(await ready(t))) return;
    const p = await peer(t, {
      replies: {
        greeting: [
          { action: 'silent', times: 1 },
          { delayMs: 300, times: 1 },
          { reply: '421 4.3.2 Service not available, closing', times: 1 },
          { reply: '554 5.7.1 No SMTP service here', times: 1 },
        ],
      },
    });
    // 1: accepted, never greeted; a client with a 300 ms timeout gives up.
    const silent = net.connect(p.port, p.host);
    let received = 0;
    silent.on('data', (d) => (received += d.length));
    await new Promise<void>((res, rej) => {
      silent.setTimeout(300, () => res());
      silent.once('error', rej);
    });
    assert.equal(received, 0);
    await p.waitForConnections(1);
    silent.destroy();

    // 2: greeted late.
    const started = Date.now();
    const late = await SmtpWire.connect(p.port);
    assert.equal((await late.read(3000)).code, 220);
    assert.ok(Date.now() - started >= 280, `greeting after ${Date.now() - started} ms`);
    late.close();

    // 3: 421 and closed.
    const busy = await SmtpWire.connect(p.port);
    assert.equal((await busy.read()).text, '421 4.3.2 Service not available, closing');
    assert.equal(await busy.closesWithin(2000), true);

    // 4: 554, then 503 to anything but QUIT.
    const refused = await SmtpWire.connect(p.port);
    assert.equal((await refused.read()).code, 554);
    assert.match((await refused.cmd('EHLO client.sender.test')).text, /^503 5\.5\.1 /);
    assert.equal((await refused.cmd('QUIT')).code, 221);
    assert.equal(await refused.closesWithin(2000), true);

    // 5: back to normal.
    const normal = await session(p);
    normal.close();
    assertCrlf(late.transcript + busy.transcript + refused.transcript + normal.transcript);
    assert.equal(p.connections(), 5);
  });

  it('at end of data: stays silent with the connection open, drops the connection without a reply, answers after a delay', async (t) => {
    if (!(await ready(t))) return;
    const p = await peer(t, { replies: { dataEnd: [{ action: 'silent', times: 1 }, { action: 'drop', times: 1 }, { delayMs: 400, times: 1 }] } });
    const body = 'Subject: end of data\r\n\r\n.dot\r\n';

    const silent = await session(p);
    t.after(() => silent.close());
    await sendUpToDot(silent, body);
    assert.equal(await silent.maybeRead(500), undefined, 'no reply after the dot');
    assert.equal(silent.isClosed, false, 'connection still open');
    const [first] = await p.waitFor(1);
    assert.equal(first?.reply, 'silent');
    assert.deepEqual(first?.message, Buffer.from('Subject: end of data\r\n\r\ndot\r\n'));

    const dropped = await session(p);
    await sendUpToDot(dropped, body);
    const before = dropped.transcript.length;
    assert.equal(await dropped.closesWithin(2000), true, 'closed after the dot');
    assert.equal(dropped.transcript.length, before, 'without a reply');
    assert.equal((await p.waitFor(2))[1]?.reply, 'dropped');

    const slow = await session(p);
    await sendUpToDot(slow, body);
    const sent = Date.now();
    const reply = await slow.read(3000);
    assert.equal(reply.code, 250);
    assert.ok(Date.now() - sent >= 350, `reply after ${Date.now() - sent} ms`);
    slow.close();
    assert.equal((await p.waitFor(3))[2]?.reply, '250 2.0.0 Ok: queued as P3');
    assertCrlf(silent.transcript + dropped.transcript + slow.transcript);
  });

  it('plays two MX hosts on one port: 127.0.0.21 and 127.0.0.22 each record only their own mail', async (t) => {
    if (!(await ready(t))) return;
    const [port] = await freePorts(1);
    const first = await peer(t, { host: '127.0.0.21', port: port!, hostname: 'mx1.peer.test' });
    const second = await peer(t, { host: '127.0.0.22', port: port!, hostname: 'mx2.peer.test', replies: { dataEnd: { reply: '452 4.3.1 Insufficient system storage' } } });
    assert.deepEqual([first.host, first.port, second.host, second.port], ['127.0.0.21', port, '127.0.0.22', port]);
    const one = await swaksTo(first, ['--to', 'one@peer.test']);
    assert.match(one.stdout, /<- {2}220 mx1\.peer\.test /);
    const two = await swaksTo(second, ['--to', 'two@peer.test']);
    assert.match(two.stdout, /<- {2}220 mx2\.peer\.test /);
    assert.deepEqual((await first.waitFor(1)).map((x) => [x.rcpts[0]?.address, x.reply]), [['one@peer.test', '250 2.0.0 Ok: queued as P1']]);
    assert.deepEqual((await second.waitFor(1)).map((x) => [x.rcpts[0]?.address, x.reply]), [['two@peer.test', '452 4.3.1 Insufficient system storage']]);
  });

  it('fails to start with the reason: a non-loopback address, a port in use, an unknown script key', async (t) => {
    if (!(await ready(t))) return;
    await assert.rejects(startSmtpPeer({ host: '192.0.2.1' }), /is not a loopback address/);
    const taken = await peer(t, {});
    await assert.rejects(startSmtpPeer({ port: taken.port }), /cannot listen on 127\.0\.0\.1:\d+: .*address already in use/i);
    await assert.rejects(startSmtpPeer({ greeting: 'hi' } as unknown as PeerScript), /unknown script keys \['greeting'\]/);
  });
});

const postfixMissing = postfixUnavailable();
if (postfixMissing && process.env.PETREL_REQUIRE_INTEROP === '1') throw new Error(postfixMissing);

describe('Postfix as a receiving MX', { skip: postfixMissing }, () => {
  // Two instances, started together: a Postfix start and stop take a few seconds each.
  let catchAll: PostfixInstance | undefined;
  let listed: PostfixInstance | undefined;
  before(async () => {
    catchAll = await PostfixInstance.createReceivingMx({ domains: ['receiver.test'], host: '127.0.0.31' });
    listed = await PostfixInstance.createReceivingMx({ domains: ['receiver.test'], host: '127.0.0.32', mailboxes: ['alice@receiver.test', 'bob@receiver.test'] });
    await Promise.all([catchAll.start(), listed.start()]);
  });
  after(async () => {
    await Promise.allSettled([catchAll?.destroy(), listed?.destroy()]);
  });

  it('stores what swaks delivers over STARTTLS, one copy per recipient, byte for byte after its own headers, and relays nothing', async (t) => {
    const mx = catchAll!;
    assert.equal(mx.smtpHost, '127.0.0.31');
    const server = { host: mx.smtpHost, port: mx.smtpPort };

    const file = join(await tempDir(t), 'message.eml');
    writeFileSync(file, MESSAGE.slice(0, -2));
    const r = await swaksTo(server, ['--to', 'alice@receiver.test,bob@receiver.test', '--data', `@${file}`, '-tls']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const keyword of ['STARTTLS', 'DSN', 'SMTPUTF8', '8BITMIME']) assert.match(r.stdout, new RegExp(`<- {2}250[- ]${keyword}\\n`), keyword);

    const messages = await mx.waitForMessages(2);
    assert.deepEqual(messages.map((m) => m.recipient).sort(), ['alice@receiver.test', 'bob@receiver.test']);
    // Postfix keeps LF line ends; the message otherwise arrives as sent.
    const stored = Buffer.from(MESSAGE.replaceAll('\r\n', '\n'), 'utf8');
    for (const m of messages) {
      const start = m.bytes.length - stored.length;
      assert.deepEqual(m.bytes.subarray(start), stored, `${m.path} ends with the message as sent`);
      const added = m.bytes.subarray(0, start).toString('utf8');
      const recipient = m.recipient.replace('.', '\\.');
      assert.match(added, new RegExp(`^Return-Path: <a@sender\\.test>\\nX-Original-To: ${recipient}\\nDelivered-To: ${recipient}\\nReceived: from client\\.sender\\.test [^\\n]*(\\n\\t[^\\n]*)*\\n$`), added);
      assert.match(added, /with ESMTPS id/);
    }
    assert.match(mx.log(), /TLS connection established from/);

    const relay = await swaksTo(server, ['--to', 'someone@elsewhere.test']);
    assert.notEqual(relay.code, 0);
    assert.match(relay.stdout, /<\*\* 554 5\.7\.1 <someone@elsewhere\.test>: Relay access denied/);
    await mx.waitForQueueEmpty();
  });

  it('with mailboxes: one Maildir per listed address, and 550 5.1.1 at RCPT for any other', async () => {
    const mx = listed!;
    const r = await swaksTo({ host: mx.smtpHost, port: mx.smtpPort }, ['--to', 'alice@receiver.test,carol@receiver.test', '--body', 'for alice']);
    assert.match(r.stdout, /<\*\* 550 5\.1\.1 <carol@receiver\.test>: Recipient address rejected: User unknown in virtual mailbox table/);
    const [message, ...more] = await mx.waitForMessages(1);
    assert.deepEqual(more, []);
    assert.equal(message?.recipient, 'alice@receiver.test');
    assert.equal(message?.path.startsWith(join(mx.mailDir!, 'receiver.test', 'alice', 'new')), true, message?.path);
    assert.match(message!.bytes.toString(), /\n\nfor alice\n/);
  });
});
