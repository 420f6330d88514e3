/*
 * Hostile SMTP peers, black box against a real Petrel over raw sockets
 * (byte-exact: bare CR and LF, several commands in one write, no CRLF at
 * all): SMTP smuggling, STARTTLS command injection, early talkers, HTTP
 * verbs, over-long and endless command lines, error limits, per-client
 * connection limits, SIZE at MAIL and at the end of DATA, hop count, idle
 * timeouts and a MIME bomb.
 *
 * Deliveries are counted in the database (read-only), so "one message, not
 * two" is checked where it matters: in the mailboxes.
 *
 * Security: test only; 127.0.0.1.
 * Standards: RFC 5321 sections 2.3.8, 4.1.1.4, 4.5.3.1, 6.3; RFC 3207
 * section 4.2; RFC 1870; CVE-2023-51764 (SMTP smuggling); CVE-2011-0411
 * (STARTTLS command injection).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { PetrelProcess } from '../support/petrel.js';
import { smtpSession, SmtpWire, type Reply } from '../support/smtp-wire.js';

const PASSWORD = 'hostile test password';
const MAX_ERRORS = 6;
const ERROR_DELAY_MS = 200;
const PER_IP = 3;
const MAX_SIZE = 64 * 1024;
const IDLE_TIMEOUT_MS = 2000;
let petrel: PetrelProcess;
let db: Database.Database;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const plain = (user: string, password: string) => Buffer.from(`\0${user}\0${password}`).toString('base64');

/** Messages in an account's mailboxes, read from the database. */
function messagesOf(local: string): number {
  const row = db
    .prepare('SELECT count(*) AS n FROM messages m JOIN mailboxes mb ON m.mailbox_id = mb.id JOIN accounts a ON mb.account_id = a.id WHERE a.local = ?')
    .get(local) as { n: number };
  return row.n;
}

/** Reads replies until the connection closes or none comes for ms. */
async function drain(wire: SmtpWire, ms = 1500): Promise<Reply[]> {
  const replies: Reply[] = [];
  for (;;) {
    const r = await wire.maybeRead(ms);
    if (!r) return replies;
    replies.push(r);
  }
}

/** Waits until the server has seen every connection of a test go, so the per-IP limit starts from zero. */
async function settle(): Promise<void> {
  await sleep(150);
}

before(async () => {
  petrel = await PetrelProcess.create({
    smtp: [
      `max_errors = ${MAX_ERRORS}`,
      `error_delay = "${ERROR_DELAY_MS}ms"`,
      `max_connections_per_ip = ${PER_IP}`,
      `max_message_size = "64K"`,
      `timeout = "${IDLE_TIMEOUT_MS}ms"`,
      // Loopback is trusted by default and spared the greeting wait; here it stands for the Internet.
      `trusted_networks = []`,
      `greeting_delay = "200ms"`,
      // This suite opens far more connections a minute than one Internet client may (client-rates.test.ts tests those).
      'client_connection_rate = 0',
      'client_message_rate = 0',
      'client_recipient_rate = 0',
    ].join('\n'),
    // No resolver answers in these tests: checking the sender would defer every message (smtp-sender-auth.test.ts tests that).
    extraToml: '[sender_auth]\nenabled = false\n',
  });
  await petrel.start();
  await petrel.addDomain('example.com');
  await petrel.addUser('victim@example.com', PASSWORD);
  await petrel.addUser('smuggled@example.com', 'nobody logs in here');
  db = new Database(join(petrel.dataDir, 'petrel.db'), { readonly: true, fileMustExist: true });
});

after(async () => {
  db?.close();
  await petrel?.destroy();
});

describe('SMTP smuggling: only <CR><LF>.<CR><LF> ends DATA', () => {
  const SEQUENCES = ['\n.\n', '\n.\r\n', '\r\n.\n', '\r.\r', '\r\n.\r', '\r.\r\n', '\n.\r', '\r.\n'];

  async function smuggle(wire: SmtpWire, sender: string, seq: string): Promise<Reply[]> {
    assert.equal((await wire.cmd(`MAIL FROM:<${sender}>`)).code, 250);
    assert.equal((await wire.cmd('RCPT TO:<victim@example.com>')).code, 250);
    assert.equal((await wire.cmd('DATA')).code, 354);
    wire.write(
      `From: <${sender}>\r\nSubject: first\r\n\r\nfirst message${seq}` +
        `MAIL FROM:<${sender}>\r\nRCPT TO:<smuggled@example.com>\r\nDATA\r\n` +
        `From: <${sender}>\r\nSubject: smuggled\r\n\r\nsmuggled message\r\n.\r\nQUIT\r\n`,
    );
    return drain(wire);
  }

  /** Exactly one DATA outcome then 221, at most one new message for the victim, none for the smuggled recipient. */
  function check(role: string, seq: string, replies: Reply[], victimBefore: number, strict: boolean): void {
    const label = `${role} ${JSON.stringify(seq)}: ${replies.map((r) => r.lines[0]).join(' | ')}`;
    assert.equal(replies.length, 2, label);
    assert.equal(replies[1]!.code, 221, label);
    const outcome = replies[0]!;
    if (strict) assert.match(outcome.text, /^550 5\.5\.2 /, `bare CR/LF from the Internet is refused: ${label}`);
    else assert.ok(outcome.code === 250 || outcome.code >= 500, label);
    assert.equal(messagesOf('smuggled'), 0, `smuggled message delivered: ${label}`);
    assert.equal(messagesOf('victim') - victimBefore, outcome.code === 250 ? 1 : 0, label);
  }

  it('MX refuses every bare-CR/LF end-of-data lookalike and never delivers the smuggled message', async () => {
    for (const seq of SEQUENCES) {
      const before = messagesOf('victim');
      const { wire } = await smtpSession(petrel.ports.mx);
      const replies = await smuggle(wire, 'attacker@outside.test', seq);
      wire.close();
      check('mx', seq, replies, before, true);
    }
  });

  it('LMTP and authenticated submission keep it one message', async () => {
    for (const seq of SEQUENCES) {
      const before = messagesOf('victim');
      const { wire } = await smtpSession(petrel.ports.lmtp, { lmtp: true });
      const replies = await smuggle(wire, 'attacker@outside.test', seq);
      wire.close();
      check('lmtp', seq, replies, before, false);
    }
    for (const seq of SEQUENCES) {
      const before = messagesOf('victim');
      const { wire } = await smtpSession(petrel.ports.submissions, { implicitTls: { servername: 'mx.petrel.test' } });
      assert.equal((await wire.cmd(`AUTH PLAIN ${plain('victim@example.com', PASSWORD)}`)).code, 235);
      const replies = await smuggle(wire, 'victim@example.com', seq);
      wire.close();
      check('submissions', seq, replies, before, false);
    }
    await settle();
  });
});

describe('STARTTLS command injection (plaintext buffered before TLS is discarded)', () => {
  for (const [role, lmtp] of [['mx', false], ['submission', false], ['lmtp', true]] as const) {
    it(`${role}: commands sent with STARTTLS are not run inside TLS; the client must greet again`, async () => {
      const { wire } = await smtpSession(petrel.ports[role], { lmtp });
      try {
        wire.write('STARTTLS\r\nRSET\r\nMAIL FROM:<injected@outside.test>\r\n');
        const ready = await wire.read();
        assert.equal(ready.code, 220, ready.text);
        await wire.upgrade({ servername: 'mx.petrel.test' });
        // Anything answered now would be a reply to the injected plaintext.
        const injected = await wire.maybeRead(500);
        assert.equal(injected, undefined, `injected command answered inside TLS: ${injected?.text}`);
        // The greeting and the transaction from before TLS are gone.
        assert.equal((await wire.cmd('MAIL FROM:<user@outside.test>')).code, 503);
        const ehlo = await wire.cmd(`${lmtp ? 'LHLO' : 'EHLO'} client.test`);
        assert.equal(ehlo.code, 250);
        assert.doesNotMatch(ehlo.text, /STARTTLS/, 'STARTTLS still offered inside TLS');
        const again = await wire.cmd('STARTTLS');
        assert.ok(again.code >= 500 && again.code < 600, `second STARTTLS: ${again.text}`);
        // (Submission asks for AUTH before it looks at the transaction.)
        assert.equal((await wire.cmd('RCPT TO:<victim@example.com>')).code, role === 'submission' ? 530 : 503, 'the injected MAIL FROM survived');
      } finally {
        wire.close();
      }
    });
  }

  it('the server still answers after a client that injects and never completes the handshake', async () => {
    const { wire } = await smtpSession(petrel.ports.mx);
    wire.write('STARTTLS\r\nQUIT\r\n');
    assert.equal((await wire.read()).code, 220);
    // The injected QUIT must not be answered in plaintext (it would break the handshake).
    assert.equal(await wire.maybeRead(300), undefined);
    wire.close();
    const { wire: next, ehlo } = await smtpSession(petrel.ports.mx);
    next.close();
    assert.equal(ehlo.code, 250);
    await settle();
  });
});

describe('misbehaving clients are dropped', () => {
  it('an early talker (EHLO before the banner) gets 421 and is dropped, and the server lives on', async () => {
    for (let i = 0; i < 5; i++) {
      const wire = await SmtpWire.connect(petrel.ports.mx);
      wire.write('EHLO early.test\r\n');
      assert.ok(await wire.closesWithin(3000), 'early talker not dropped');
      assert.match(wire.transcript, /^421 /, wire.transcript);
      assert.doesNotMatch(wire.transcript, /^220 /m);
    }
    await settle();
    // Alive, and the early talkers took no per-client slots with them.
    const sessions = [];
    for (let i = 0; i < PER_IP; i++) sessions.push(await smtpSession(petrel.ports.mx));
    for (const s of sessions) {
      assert.equal(s.ehlo.code, 250);
      s.wire.close();
    }
    await settle();
  });

  for (const request of ['GET / HTTP/1.1', 'POST /login HTTP/1.0', 'CONNECT / HTTP/1.1']) {
    it(`an HTTP verb ends the session: ${request}`, async () => {
      const { wire } = await smtpSession(petrel.ports.mx);
      try {
        wire.write(`${request}\r\nHost: mx.petrel.test\r\n\r\n`);
        const reply = await wire.read();
        assert.equal(reply.code, 421, reply.text);
        assert.ok(await wire.closesWithin(2000), 'session not ended');
      } finally {
        wire.close();
        await settle();
      }
    });
  }

  it('a command line over 2048 octets is refused; one within the cap is not', async () => {
    const { wire } = await smtpSession(petrel.ports.mx);
    const ok = await wire.cmd(`NOOP ${'n'.repeat(1000)}`);
    assert.equal(ok.code, 250, ok.text);
    const reply = await wire.cmd(`MAIL FROM:<${'a'.repeat(2100)}@outside.test>`);
    assert.ok(reply.code >= 400, reply.text);
    assert.ok(await wire.closesWithin(2000));
    await settle();
  });

  it('a peer that never sends CRLF is cut off instead of growing a buffer', async () => {
    const { wire } = await smtpSession(petrel.ports.mx);
    const chunk = 'x'.repeat(16 * 1024);
    let written = 0;
    // Up to 32 MiB; the server must give up long before.
    while (!wire.isClosed && written < 32 * 1024 * 1024) {
      if (!wire.socket.write(chunk)) await Promise.race([new Promise((r) => wire.socket.once('drain', r)), wire.closed, sleep(500)]);
      written += chunk.length;
    }
    assert.ok(await wire.closesWithin(3000), `still open after ${written} bytes without CRLF`);
    assert.match(wire.transcript, /\r\n421 [^\r\n]*too long/i);
    await settle();
  });
});

describe('error limits', () => {
  it(`replies are delayed after ${MAX_ERRORS / 2} errors and the session ends with 421 at ${MAX_ERRORS}`, async () => {
    const { wire } = await smtpSession(petrel.ports.mx);
    assert.equal((await wire.cmd('MAIL FROM:<prober@outside.test>')).code, 250);
    const times: number[] = [];
    for (let i = 1; i < MAX_ERRORS; i++) {
      const start = performance.now();
      const reply = await wire.cmd(`RCPT TO:<probe${i}@example.com>`);
      times.push(performance.now() - start);
      assert.match(reply.text, /^550 5\.1\.1 /);
    }
    const last = await wire.cmd(`RCPT TO:<probe${MAX_ERRORS}@example.com>`);
    assert.match(last.text, /^421 4\.7\.0 /);
    assert.ok(await wire.closesWithin(2000));
    const half = Math.ceil(MAX_ERRORS / 2);
    for (let i = 0; i < half - 1; i++) assert.ok(times[i]! < ERROR_DELAY_MS * 0.75, `error ${i + 1} delayed: ${times.map(Math.round)}`);
    for (let i = half - 1; i < times.length; i++) assert.ok(times[i]! >= ERROR_DELAY_MS * 0.9, `error ${i + 1} not delayed: ${times.map(Math.round)}`);
    await settle();
  });

  const junk: [string, string[]][] = [
    ['unknown commands', ['XYZZY']],
    ['MAIL syntax errors', ['MAIL FROM:<unterminated@outside.test']],
    ['commands out of sequence', ['RCPT TO:<victim@example.com>']],
    ['bad SIZE parameters', ['MAIL FROM:<a@outside.test> SIZE=lots']],
  ];
  for (const [name, [line]] of junk) {
    it(`${name} answered by the protocol layer count towards the same limit`, async () => {
      const { wire } = await smtpSession(petrel.ports.mx);
      try {
        let ended: Reply | undefined;
        for (let i = 1; i <= MAX_ERRORS + 2 && !ended; i++) {
          const reply = await wire.cmd(line!);
          if (reply.code === 421) ended = reply;
          else assert.ok(reply.code >= 400, `${line}: ${reply.text}`);
          if (ended) assert.equal(i, MAX_ERRORS, `421 after ${i} errors`);
        }
        assert.ok(ended, `${name}: no 421 after ${MAX_ERRORS + 2} errors`);
        assert.ok(await wire.closesWithin(2000));
      } finally {
        wire.close();
        await settle();
      }
    });
  }
});

describe('per-client connection limit', () => {
  it(`the connection past ${PER_IP} from one address gets 421; a freed slot is usable again`, async () => {
    const open: SmtpWire[] = [];
    for (let i = 0; i < PER_IP; i++) {
      const wire = await SmtpWire.connect(petrel.ports.mx);
      assert.equal((await wire.read()).code, 220);
      open.push(wire);
    }
    const extra = await SmtpWire.connect(petrel.ports.mx);
    const refused = await extra.read();
    assert.match(refused.text, /^421 4\.7\.0 /);
    assert.ok(await extra.closesWithin(2000));
    // The limit counts per role's listener and per client, not in total: submission still answers.
    const other = await SmtpWire.connect(petrel.ports.submission);
    assert.equal((await other.read()).code, 220);
    other.close();
    open.shift()!.close();
    await settle();
    const again = await SmtpWire.connect(petrel.ports.mx);
    assert.equal((await again.read()).code, 220);
    again.close();
    for (const w of open) w.close();
    await settle();
  });
});

describe('message size and hop count', () => {
  it('SIZE over the limit is refused at MAIL with 552; the limit is announced', async () => {
    const { wire, ehlo } = await smtpSession(petrel.ports.mx);
    try {
      assert.match(ehlo.text, new RegExp(`^250[- ]SIZE ${MAX_SIZE}$`, 'm'));
      for (const size of ['99999999999999999999', String(MAX_SIZE + 1)]) {
        const reply = await wire.cmd(`MAIL FROM:<big@outside.test> SIZE=${size}`);
        assert.match(reply.text, /^552 5\.3\.4 /, `SIZE=${size}`);
      }
      assert.equal((await wire.cmd(`MAIL FROM:<small@outside.test> SIZE=${MAX_SIZE - 1}`)).code, 250);
    } finally {
      wire.close();
    }
  });

  it('a message over the limit is refused with 552 5.3.4 at the end of DATA, with or without line breaks', async () => {
    const { wire } = await smtpSession(petrel.ports.mx);
    try {
      for (const body of [`${'y'.repeat(998)}\r\n`.repeat(100), `${'z'.repeat(300 * 1024)}\r\n`]) {
        const before = messagesOf('victim');
        assert.equal((await wire.cmd('MAIL FROM:<big@outside.test>')).code, 250);
        assert.equal((await wire.cmd('RCPT TO:<victim@example.com>')).code, 250);
        assert.equal((await wire.cmd('DATA')).code, 354);
        wire.write(`Subject: too big\r\n\r\n${body}.\r\n`);
        const reply = await wire.read(15_000);
        assert.match(reply.text, /^552 5\.3\.4 /);
        assert.equal(messagesOf('victim'), before, 'an oversized message was delivered');
      }
      // The session goes on for the next message.
      assert.equal((await wire.cmd('MAIL FROM:<small@outside.test>')).code, 250);
    } finally {
      wire.close();
    }
  });

  async function sendWithHops(hops: number): Promise<Reply> {
    const { wire } = await smtpSession(petrel.ports.mx);
    try {
      await wire.cmd('MAIL FROM:<loop@outside.test>');
      await wire.cmd('RCPT TO:<victim@example.com>');
      assert.equal((await wire.cmd('DATA')).code, 354);
      let header = '';
      for (let i = 0; i < hops; i++) header += `Received: from h${i}.outside.test by h${i + 1}.outside.test; Fri, 27 Nov 2026 23:00:00 +0000\r\n`;
      wire.write(`${header}Subject: hops ${hops}\r\n\r\nloop?\r\n.\r\n`);
      return await wire.read(10_000);
    } finally {
      wire.close();
    }
  }

  it('51 Received headers is a mail loop: 554 5.4.0; 50 is still accepted', async () => {
    const before = messagesOf('victim');
    assert.match((await sendWithHops(51)).text, /^554 5\.4\.0 /);
    assert.equal(messagesOf('victim'), before);
    assert.equal((await sendWithHops(50)).code, 250);
    assert.equal(messagesOf('victim'), before + 1);
  });
});

describe('timeouts and expensive content', () => {
  it('an idle session is closed with 421 after the timeout', async () => {
    const { wire } = await smtpSession(petrel.ports.mx);
    const start = Date.now();
    assert.ok(await wire.closesWithin(IDLE_TIMEOUT_MS + 3000), 'idle session kept open');
    assert.ok(Date.now() - start >= IDLE_TIMEOUT_MS - 200);
    assert.match(wire.transcript, /\r\n421 /);
  });

  it('a client that asks for STARTTLS and never shakes hands is dropped after the timeout', async () => {
    const { wire } = await smtpSession(petrel.ports.mx);
    assert.equal((await wire.cmd('STARTTLS')).code, 220);
    assert.ok(await wire.closesWithin(IDLE_TIMEOUT_MS + 3000), 'stalled handshake kept open');
  });

  it('a deeply nested MIME message neither crashes nor stalls the server', async () => {
    const depth = 400;
    let body = '';
    for (let i = 0; i < depth; i++) body += `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n`;
    body += 'Content-Type: text/plain\r\n\r\ncore\r\n';
    for (let i = depth - 1; i >= 0; i--) body += `--b${i}--\r\n`;
    const { wire } = await smtpSession(petrel.ports.mx);
    try {
      await wire.cmd('MAIL FROM:<bomb@outside.test>');
      await wire.cmd('RCPT TO:<victim@example.com>');
      assert.equal((await wire.cmd('DATA')).code, 354);
      wire.write(`Subject: nested\r\nMIME-Version: 1.0\r\n${body}.\r\n`);
      const parallel = smtpSession(petrel.ports.lmtp, { lmtp: true });
      const reply = await wire.read(10_000);
      assert.ok(reply.code === 250 || (reply.code >= 500 && reply.code < 600), reply.text);
      const other = await parallel;
      assert.equal(other.ehlo.code, 250);
      other.wire.close();
    } finally {
      wire.close();
    }
  });
});
