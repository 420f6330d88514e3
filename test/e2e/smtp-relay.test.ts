/*
 * Open relay and recipient disclosure, black box against a real Petrel:
 * every address form an old MTA reads as a relay instruction (remote
 * domain, `%` hack, `!` paths, source routes, quoted local parts, IP
 * literals, upper case, trailing dots) is refused with a 5xx on MX, on
 * unauthenticated submission and on LMTP, and nothing reaches the outbound
 * queue; unknown users get 550 5.1.1 at RCPT; VRFY/EXPN tell nothing; on
 * submission AUTH is offered only after STARTTLS, a wrong password and an
 * unknown user look alike, a sender the user does not own gets 553 5.7.1,
 * and an authenticated remote recipient waits in the queue.
 *
 * Clients: swaks for whole transactions, a byte-exact socket client where
 * the test needs to see every reply (test/support/smtp-wire.ts).
 * Security: test only; 127.0.0.1.
 * Standards: RFC 5321 sections 3.5 (VRFY/EXPN), 3.6 (relaying), 4.1.2;
 * RFC 3207 section 4; RFC 4954; RFC 6409 section 6.1.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PetrelProcess } from '../support/petrel.js';
import { smtpSession, type Reply, type SmtpWire } from '../support/smtp-wire.js';
import { requireTools, swaks } from '../support/tools.js';

const PASSWORD = 'correct horse battery';
let petrel: PetrelProcess;

/** Every form that must never relay, for a server hosting example.com only. */
const RELAY_FORMS = [
  'user@remote.test',
  'USER@REMOTE.TEST',
  'user@remote.test.',
  'user%remote.test@example.com',
  'USER%REMOTE.TEST@EXAMPLE.COM',
  'user%remote.test@example.com.',
  'user%remote.test',
  'remote.test!user@example.com',
  'REMOTE.TEST!USER@EXAMPLE.COM',
  'remote.test!user',
  'remote.test!user@[127.0.0.1]',
  '@example.com:user@remote.test',
  '@example.com,@example.com:user@remote.test',
  'user@remote.test@example.com',
  '"user@remote.test"@example.com',
  '"user%remote.test"@example.com',
  '"user%remote.test"',
  '"user@remote.test"',
  'user@[127.0.0.1]',
  'user@[IPv6:::1]',
  'USER@[IPV6:::1]',
  'user@[IPv6:0:0:0:0:0:0:0:1]',
];

const plain = (user: string, password: string) => Buffer.from(`\0${user}\0${password}`).toString('base64');
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** STARTTLS on submission and EHLO again; returns the client and the EHLO after TLS. */
async function securedSubmission(): Promise<{ wire: SmtpWire; ehlo: Reply }> {
  const { wire } = await smtpSession(petrel.ports.submission);
  const ready = await wire.cmd('STARTTLS');
  assert.equal(ready.code, 220, ready.text);
  await wire.upgrade({ servername: 'mx.petrel.test' });
  const ehlo = await wire.cmd('EHLO client.test');
  assert.equal(ehlo.code, 250, ehlo.text);
  return { wire, ehlo };
}

async function queueList(): Promise<string> {
  const r = await petrel.cli(['queue', 'list']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

function assertRefused(reply: Reply, what: string): void {
  assert.ok(reply.code >= 500 && reply.code < 600, `${what}: expected a 5xx refusal, got ${reply.text}`);
}

before(async () => {
  // Many refusals in one session are the point here; the error limit has its own tests.
  petrel = await PetrelProcess.create({ smtp: 'max_errors = 200' });
  await petrel.start();
  await petrel.addDomain('example.com');
  await petrel.addDomain('catchall.test');
  await petrel.addUser('user@example.com', PASSWORD);
  await petrel.addUser('other@example.com', 'another password');
  for (const [from, ...to] of [
    ['@catchall.test', 'user@example.com'],
    ['fwd@example.com', 'someone@elsewhere.test'],
    ['sales@example.com', 'user@example.com'],
  ]) {
    const r = await petrel.cli(['alias', 'add', from!, ...to]);
    assert.equal(r.code, 0, r.stderr);
  }
});

after(async () => {
  await petrel?.destroy();
});

describe('open relay: every address form is refused unauthenticated', () => {
  for (const [role, lmtp] of [['mx', false], ['lmtp', true]] as const) {
    it(`${role}: refuses ${RELAY_FORMS.length} relay forms at RCPT and accepts no DATA`, async () => {
      const { wire } = await smtpSession(petrel.ports[role], { lmtp });
      try {
        assert.equal((await wire.cmd('MAIL FROM:<sender@outside.test>')).code, 250);
        for (const form of RELAY_FORMS) {
          const reply = await wire.cmd(`RCPT TO:<${form}>`);
          assertRefused(reply, `${role} RCPT TO:<${form}>`);
        }
        // Nothing was accepted, so there is no transaction to send data into.
        assertRefused(await wire.cmd('DATA'), `${role} DATA with no accepted recipient`);
      } finally {
        wire.close();
      }
    });
  }

  it('mx: a plain remote domain gets 554 5.7.1 relay denied', async () => {
    const { wire } = await smtpSession(petrel.ports.mx);
    try {
      await wire.cmd('MAIL FROM:<sender@outside.test>');
      for (const form of ['user@remote.test', 'user%remote.test@example.com', 'remote.test!user@example.com', 'user@[127.0.0.1]']) {
        const reply = await wire.cmd(`RCPT TO:<${form}>`);
        assert.match(reply.text, /^554 5\.7\.1 /, `RCPT TO:<${form}>`);
      }
    } finally {
      wire.close();
    }
  });

  it('submission without AUTH (even after STARTTLS) refuses the transaction', async () => {
    const { wire } = await securedSubmission();
    try {
      const mail = await wire.cmd('MAIL FROM:<user@example.com>');
      assertRefused(mail, 'MAIL without AUTH');
      for (const form of ['user@remote.test', 'user%remote.test@example.com', 'remote.test!user', 'user@[127.0.0.1]']) {
        assertRefused(await wire.cmd(`RCPT TO:<${form}>`), `submission RCPT TO:<${form}>`);
      }
      assertRefused(await wire.cmd('DATA'), 'submission DATA without AUTH');
    } finally {
      wire.close();
    }
  });

  it('swaks cannot relay through MX to a remote domain', async (t) => {
    if (!requireTools(t, 'swaks')) return;
    const r = await swaks(['--server', `127.0.0.1:${petrel.ports.mx}`, '--from', 'spammer@outside.test', '--to', 'victim@remote.test', '--helo', 'outside.test']);
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stdout, /<\*\* +554 5\.7\.1 /);
  });

  it('nothing addressed to the relay targets reached the outbound queue', async () => {
    const list = await queueList();
    assert.doesNotMatch(list, /remote\.test/i, list);
    assert.doesNotMatch(petrel.log, /status=queued[^\n]*remote\.test/i);
  });
});

describe('recipients on MX', () => {
  it('an unknown user of a hosted domain gets 550 5.1.1 at RCPT', async () => {
    const { wire } = await smtpSession(petrel.ports.mx);
    try {
      await wire.cmd('MAIL FROM:<sender@outside.test>');
      assert.match((await wire.cmd('RCPT TO:<nobody@example.com>')).text, /^550 5\.1\.1 /);
      assert.match((await wire.cmd('RCPT TO:<NOBODY@EXAMPLE.COM>')).text, /^550 5\.1\.1 /);
    } finally {
      wire.close();
    }
  });

  it('a known user, in any case, is accepted and delivered', async (t) => {
    if (!requireTools(t, 'swaks')) return;
    const r = await swaks(['--server', `127.0.0.1:${petrel.ports.mx}`, '--from', 'sender@outside.test', '--to', 'User@Example.COM', '--header', 'Subject: known user']);
    assert.equal(r.code, 0, r.stdout);
    const queued = /250 2\.0\.0 Ok: queued as (\S+)/.exec(r.stdout)?.[1];
    assert.ok(queued, r.stdout);
    await petrel.waitForLog(new RegExp(`queue=${queued}[^\\n]*to=<user@example\\.com>[^\\n]*status=delivered`));
  });

  it('catch-all: any local part of the catch-all domain is delivered to its target', async (t) => {
    if (!requireTools(t, 'swaks')) return;
    const r = await swaks(['--server', `127.0.0.1:${petrel.ports.mx}`, '--from', 'sender@outside.test', '--to', 'anything-at-all@catchall.test']);
    assert.equal(r.code, 0, r.stdout);
    const queued = /queued as (\S+)/.exec(r.stdout)?.[1];
    await petrel.waitForLog(new RegExp(`queue=${queued}[^\\n]*to=<user@example\\.com>[^\\n]*status=delivered`));
  });

  it('an alias with a remote target is accepted from MX and queued (forwarding is not relaying)', async (t) => {
    if (!requireTools(t, 'swaks')) return;
    const r = await swaks(['--server', `127.0.0.1:${petrel.ports.mx}`, '--from', 'sender@outside.test', '--to', 'fwd@example.com']);
    assert.equal(r.code, 0, r.stdout);
    const queued = /queued as (\S+)/.exec(r.stdout)?.[1];
    assert.ok(queued);
    const list = await queueList();
    assert.match(list, new RegExp(`${queued}.*someone@elsewhere\\.test`), list);
  });

  it('VRFY and EXPN disclose nothing: same answer for a user, an alias and nobody, never 250', async () => {
    const { wire } = await smtpSession(petrel.ports.mx);
    try {
      for (const verb of ['VRFY', 'EXPN']) {
        const answers = [];
        for (const who of ['user@example.com', 'user', 'fwd@example.com', 'nobody@example.com', 'nobody']) {
          const reply = await wire.cmd(`${verb} ${who}`);
          assert.notEqual(reply.code, 250, `${verb} ${who}: ${reply.text}`);
          assert.doesNotMatch(reply.text, /user@example\.com|elsewhere\.test/i);
          answers.push(reply.text);
        }
        assert.equal(new Set(answers).size, 1, `${verb} answers differ: ${answers.join(' | ')}`);
      }
    } finally {
      wire.close();
    }
  });
});

describe('submission (587 STARTTLS, 465 implicit TLS)', () => {
  it('587 offers no AUTH before STARTTLS and refuses one attempted anyway', async () => {
    const { wire, ehlo } = await smtpSession(petrel.ports.submission);
    try {
      assert.match(ehlo.text, /STARTTLS/);
      assert.doesNotMatch(ehlo.text, /AUTH/i, 'AUTH advertised in plaintext');
      for (const attempt of [`AUTH PLAIN ${plain('user@example.com', PASSWORD)}`, 'AUTH LOGIN']) {
        const reply = await wire.cmd(attempt);
        assertRefused(reply, `${attempt.slice(0, 10)} before TLS`);
      }
      assertRefused(await wire.cmd('MAIL FROM:<user@example.com>'), 'MAIL after refused AUTH');
    } finally {
      wire.close();
    }
    assert.doesNotMatch(petrel.log, /auth ok/, 'a plaintext AUTH reached the directory');
  });

  it('587 after STARTTLS offers AUTH PLAIN and LOGIN, and no STARTTLS', async () => {
    const { wire, ehlo } = await securedSubmission();
    wire.close();
    assert.match(ehlo.text, /^250[- ]AUTH PLAIN LOGIN$/m);
    assert.doesNotMatch(ehlo.text, /STARTTLS/);
  });

  for (const method of ['PLAIN', 'LOGIN']) {
    it(`AUTH ${method} works after STARTTLS on 587 and on 465 (swaks)`, async (t) => {
      if (!requireTools(t, 'swaks')) return;
      for (const tlsArgs of [['-tls'], ['--tls-on-connect']]) {
        const port = tlsArgs[0] === '-tls' ? petrel.ports.submission : petrel.ports.submissions;
        const r = await swaks([
          '--server', `127.0.0.1:${port}`, ...tlsArgs,
          '--auth', method, '--auth-user', 'user@example.com', '--auth-password', PASSWORD,
          '--from', 'user@example.com', '--to', 'other@example.com', '--header', `Subject: ${method} ${tlsArgs[0]}`,
        ]);
        assert.equal(r.code, 0, r.stdout);
        assert.match(r.stdout, /<~ +235 /);
        assert.match(r.stdout, /<~ +250 2\.0\.0 Ok: queued as/);
      }
    });
  }

  it('a wrong password and an unknown user get the same 535 answer', async () => {
    const answers: string[] = [];
    const times: Record<string, number[]> = { wrong: [], unknown: [] };
    for (let round = 0; round < 3; round++) {
      for (const [kind, user, password] of [
        ['wrong', 'user@example.com', 'not the password'],
        ['unknown', 'ghost@example.com', 'not the password'],
      ] as const) {
        const { wire } = await securedSubmission();
        try {
          const start = performance.now();
          const plainReply = await wire.cmd(`AUTH PLAIN ${plain(user, password)}`);
          times[kind]!.push(performance.now() - start);
          answers.push(plainReply.text);
          assert.equal((await wire.cmd('AUTH LOGIN')).code, 334);
          assert.equal((await wire.cmd(b64(user))).code, 334);
          answers.push((await wire.cmd(b64(password))).text);
        } finally {
          wire.close();
        }
      }
    }
    for (const a of answers) assert.match(a, /^535 /);
    assert.equal(new Set(answers).size, 1, `answers differ: ${[...new Set(answers)].join(' | ')}`);
    // "In the same time": an unknown user must not answer measurably sooner
    // (the directory runs a dummy hash). Loose bound: half the median.
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    assert.ok(median(times.unknown!) > median(times.wrong!) / 2, `unknown ${median(times.unknown!)} ms vs wrong ${median(times.wrong!)} ms`);
  });

  it('an envelope sender the user does not own gets 553 5.7.1; own address and alias pass', async () => {
    const { wire } = await securedSubmission();
    try {
      assert.equal((await wire.cmd(`AUTH PLAIN ${plain('user@example.com', PASSWORD)}`)).code, 235);
      for (const sender of ['other@example.com', 'user@remote.test', 'postmaster@example.com', 'user%remote.test@example.com']) {
        const reply = await wire.cmd(`MAIL FROM:<${sender}>`);
        assert.match(reply.text, /^553 5\.7\.1 /, `MAIL FROM:<${sender}>`);
      }
      for (const sender of ['user@example.com', 'USER@EXAMPLE.COM', 'sales@example.com']) {
        assert.equal((await wire.cmd(`MAIL FROM:<${sender}>`)).code, 250, `MAIL FROM:<${sender}>`);
        assert.equal((await wire.cmd('RSET')).code, 250);
      }
    } finally {
      wire.close();
    }
  });

  it('a remote recipient after AUTH is accepted into the outbound queue', async (t) => {
    if (!requireTools(t, 'swaks')) return;
    const r = await swaks([
      '--server', `127.0.0.1:${petrel.ports.submission}`, '-tls',
      '--auth', 'PLAIN', '--auth-user', 'user@example.com', '--auth-password', PASSWORD,
      '--from', 'user@example.com', '--to', 'friend@faraway.test', '--header', 'Subject: outbound',
    ]);
    assert.equal(r.code, 0, r.stdout);
    const queued = /queued as (\S+)/.exec(r.stdout)?.[1];
    assert.ok(queued, r.stdout);
    const list = await queueList();
    assert.match(list, new RegExp(`${queued}.*<user@example\\.com>.*friend@faraway\\.test`), list);
  });

  it('the queue keeps the MAIL and RCPT parameters delivery and DSNs need (RFC 3461, 6531, 6152), ORCPT for an alias expanded', async () => {
    const { wire } = await securedSubmission();
    try {
      assert.equal((await wire.cmd(`AUTH PLAIN ${plain('user@example.com', PASSWORD)}`)).code, 235);
      assert.equal((await wire.cmd('MAIL FROM:<user@example.com> RET=HDRS ENVID=env+2B42 SMTPUTF8 BODY=8BITMIME')).code, 250);
      assert.equal((await wire.cmd('RCPT TO:<a@faraway.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;first+2Btag@faraway.test')).code, 250);
      assert.equal((await wire.cmd('RCPT TO:<b@faraway.test>')).code, 250);
      assert.equal((await wire.cmd('RCPT TO:<fwd@example.com> NOTIFY=DELAY')).code, 250);
      assert.equal((await wire.cmd('DATA')).code, 354);
      const done = await wire.cmd('From: user@example.com\r\nSubject: dsn\r\n\r\nhello\r\n.');
      assert.equal(done.code, 250, done.text);
      const id = /queued as (\S+)/.exec(done.text)![1]!;
      const shown = await petrel.cli(['queue', 'show', id, '--json']);
      assert.equal(shown.code, 0, shown.stderr);
      const entry = JSON.parse(shown.stdout) as { envelope: unknown; recipients: { recipient: string; notify: string[] | null; orcpt: string | null }[] };
      // Kept decoded (xtext +2B is "+"), to be encoded again when passed on.
      assert.deepEqual(entry.envelope, { ret: 'HDRS', envid: 'env+42', smtpUtf8: true, requireTls: false, body: '8bitmime' });
      assert.deepEqual(entry.recipients.map((r) => [r.recipient, r.notify, r.orcpt]), [
        ['a@faraway.test', ['SUCCESS', 'FAILURE'], 'rfc822;first+tag@faraway.test'],
        ['b@faraway.test', null, null],
        ['someone@elsewhere.test', ['DELAY'], 'rfc822;fwd@example.com'],
      ]);
      // postsuper -h / -H: held, marked "!" in the list as mailq does, then released.
      assert.equal((await petrel.cli(['queue', 'hold', id])).code, 0);
      assert.match(await queueList(), new RegExp(`^${id}! `, 'm'));
      assert.equal((await petrel.cli(['queue', 'release', id])).code, 0);
      assert.match(await queueList(), new RegExp(`^${id} `, 'm'));
      const missing = await petrel.cli(['queue', 'hold', 'NOSUCHID']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no queued message NOSUCHID/);
    } finally {
      wire.close();
    }
  });
});
