/*
 * Delivery status notifications: literal field lines and structure for
 * failure, delay and success reports, what is returned for RET=HDRS, FULL,
 * none and oversize originals, ENVID and ORCPT present and absent, the
 * RFC 6533 global types for UTF-8 addresses and headers, and hostile
 * diagnostics and originals that try to break the report's structure.
 * Every report is read back by Petrel's MIME indexer and by Python's
 * email package, an independent parser.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { requireTools, run } from '../../test/support/tools.js';
import {
  buildDsn,
  DSN_RETURN_LIMIT_DEFAULT,
  dsnKindSubject,
  dsnTransport,
  parseEnhancedStatus,
  wantsDsn,
  type DsnInput,
  type DsnRecipientReport,
} from './dsn.js';
import { headerBlock, indexMessage, type MimePart } from './index.js';

/** Lines joined with CRLF. */
const crlf = (...lines: string[]): string => lines.join('\r\n');

const ORIGINAL = Buffer.from(
  crlf(
    'From: Alice <alice@example.org>',
    'To: bob@remote.example',
    'Subject: Hello',
    'Message-ID: <m1@example.org>',
    '',
    'Hi Bob.',
    '',
  ),
);
const ORIGINAL_HEADER = crlf('From: Alice <alice@example.org>', 'To: bob@remote.example', 'Subject: Hello', 'Message-ID: <m1@example.org>', '');

const at = (iso: string): Date => new Date(iso);

const BOB: DsnRecipientReport = {
  finalRecipient: 'bob@remote.example',
  orcpt: 'rfc822;bob@remote.example',
  action: 'failed',
  status: '5.1.1',
  remoteMta: 'mx.remote.example',
  diagnostic: crlf(
    '550-5.1.1 The email account that you tried to reach does not exist. Please try',
    "550 5.1.1 double-checking the recipient's email address for typos.",
  ),
  lastAttempt: at('2026-11-28T00:00:00Z'),
};
const CAROL: DsnRecipientReport = {
  finalRecipient: 'carol@remote.example',
  orcpt: null,
  action: 'failed',
  status: '5.2.2',
  remoteMta: 'mx.remote.example',
  diagnostic: '552 5.2.2 Mailbox full',
  lastAttempt: at('2026-11-28T00:00:01Z'),
};

function input(overrides: Partial<DsnInput> = {}): DsnInput {
  return {
    kind: 'failure',
    reportingMta: 'mx.example.org',
    from: 'MAILER-DAEMON@mx.example.org',
    sender: 'alice@example.org',
    original: ORIGINAL,
    ret: null,
    envid: null,
    arrivalDate: at('2026-11-27T23:40:00Z'),
    recipients: [BOB],
    date: at('2026-11-28T00:00:05Z'),
    messageId: '<dsn.Q1@mx.example.org>',
    boundary: 'B0undary.1',
    ...overrides,
  };
}

/** The report read back with Petrel's indexer: top header, and each part's type, header and body. */
interface Read {
  header: string;
  type: string;
  parts: { type: string; header: string; body: Buffer; message: boolean }[];
}

function read(dsn: Buffer): Read {
  const index = indexMessage(dsn);
  assert.equal(index.truncated, false);
  const root = index.root;
  const children: MimePart[] = root.children ?? [];
  return {
    header: headerBlock(dsn, root).toString('utf8'),
    type: `${root.type}/${root.subtype}`,
    parts: children.map((part) => ({
      type: `${part.type}/${part.subtype}`,
      header: headerBlock(dsn, part).toString('utf8'),
      body: dsn.subarray(part.bodyStart, part.bodyEnd),
      message: part.message !== undefined,
    })),
  };
}

/** Invariants every report keeps: CRLF only, no line over 998 octets, ASCII header unless allowed, a closing delimiter. */
function checkWire(dsn: Buffer, asciiHeader = true): void {
  for (let i = dsn.indexOf(0x0a); i >= 0; i = dsn.indexOf(0x0a, i + 1)) assert.equal(dsn[i - 1], 0x0d, `bare LF at ${i}`);
  for (let i = dsn.indexOf(0x0d); i >= 0; i = dsn.indexOf(0x0d, i + 1)) assert.equal(dsn[i + 1], 0x0a, `bare CR at ${i}`);
  for (const line of dsn.toString('latin1').split('\r\n')) assert.ok(line.length <= 998, `line of ${line.length} octets`);
  const header = dsn.subarray(0, dsn.indexOf('\r\n\r\n'));
  if (asciiHeader) assert.ok(header.every((b) => b < 0x80), 'the report header is ASCII');
  assert.match(dsn.toString('latin1'), /\r\n--[^\r\n]+--\r\n$/);
}

const statusText = (dsn: Buffer): string => (read(dsn).parts[1] as Read['parts'][number]).body.toString('utf8');
const part = (dsn: Buffer, n: number): Read['parts'][number] => read(dsn).parts[n] as Read['parts'][number];

describe('buildDsn: header and delivery-status fields', () => {
  const cases: { name: string; input: DsnInput; header: string; status: string; types: string[] }[] = [
    {
      name: 'failure, two recipients with diagnostics, ENVID and one ORCPT',
      input: input({ envid: 'QQ314159', recipients: [BOB, CAROL], queueId: 'Q1ABC' }),
      header: crlf(
        'From: Mail Delivery System <MAILER-DAEMON@mx.example.org>',
        'To: alice@example.org',
        'Subject: Undelivered Mail Returned to Sender',
        'Date: Sat, 28 Nov 2026 00:00:05 +0000',
        'Message-ID: <dsn.Q1@mx.example.org>',
        'MIME-Version: 1.0',
        'Auto-Submitted: auto-replied',
        'Content-Type: multipart/report; report-type=delivery-status;',
        '\tboundary="B0undary.1"',
        '',
        '',
      ),
      status: crlf(
        'Original-Envelope-Id: QQ314159',
        'Reporting-MTA: dns; mx.example.org',
        'Arrival-Date: Fri, 27 Nov 2026 23:40:00 +0000',
        'X-Petrel-Queue-ID: Q1ABC',
        '',
        'Original-Recipient: rfc822; bob@remote.example',
        'Final-Recipient: rfc822; bob@remote.example',
        'Action: failed',
        'Status: 5.1.1',
        'Remote-MTA: dns; mx.remote.example',
        'Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach',
        ' does not exist. Please try',
        " 550 5.1.1 double-checking the recipient's email address for typos.",
        'Last-Attempt-Date: Sat, 28 Nov 2026 00:00:00 +0000',
        '',
        'Final-Recipient: rfc822; carol@remote.example',
        'Action: failed',
        'Status: 5.2.2',
        'Remote-MTA: dns; mx.remote.example',
        'Diagnostic-Code: smtp; 552 5.2.2 Mailbox full',
        'Last-Attempt-Date: Sat, 28 Nov 2026 00:00:01 +0000',
        '',
      ),
      types: ['text/plain', 'message/delivery-status', 'message/rfc822'],
    },
    {
      name: 'delay with Will-Retry-Until, no ENVID, no ORCPT, no remote MTA',
      input: input({
        kind: 'delay',
        recipients: [
          {
            finalRecipient: 'dave@slow.example',
            orcpt: null,
            action: 'delayed',
            status: '4.4.1',
            diagnostic: 'connect to slow.example[192.0.2.1]:25: Connection timed out',
            diagnosticType: 'X-Petrel',
            lastAttempt: at('2026-11-28T04:00:00Z'),
            willRetryUntil: at('2026-12-02T23:40:00Z'),
          },
        ],
      }),
      header: crlf(
        'From: Mail Delivery System <MAILER-DAEMON@mx.example.org>',
        'To: alice@example.org',
        'Subject: Delayed Mail (still being retried)',
        'Date: Sat, 28 Nov 2026 00:00:05 +0000',
        'Message-ID: <dsn.Q1@mx.example.org>',
        'MIME-Version: 1.0',
        'Auto-Submitted: auto-replied',
        'Content-Type: multipart/report; report-type=delivery-status;',
        '\tboundary="B0undary.1"',
        '',
        '',
      ),
      status: crlf(
        'Reporting-MTA: dns; mx.example.org',
        'Arrival-Date: Fri, 27 Nov 2026 23:40:00 +0000',
        '',
        'Final-Recipient: rfc822; dave@slow.example',
        'Action: delayed',
        'Status: 4.4.1',
        'Diagnostic-Code: X-Petrel; connect to slow.example[192.0.2.1]:25: Connection',
        ' timed out',
        'Last-Attempt-Date: Sat, 28 Nov 2026 04:00:00 +0000',
        'Will-Retry-Until: Wed, 2 Dec 2026 23:40:00 +0000',
        '',
      ),
      types: ['text/plain', 'message/delivery-status', 'text/rfc822-headers'],
    },
    {
      name: 'success: delivered and relayed; Will-Retry-Until never outside "delayed"; status zeros dropped',
      input: input({
        kind: 'success',
        ret: 'FULL',
        envid: 'env-7',
        recipients: [
          { finalRecipient: 'erin@remote.example', orcpt: 'rfc822;erin@remote.example', action: 'delivered', status: '2.0.0', remoteMta: 'mx.remote.example', diagnostic: '250 2.0.0 Ok: queued as 4XyZ', willRetryUntil: at('2026-12-02T00:00:00Z') },
          { finalRecipient: 'frank@old.example', orcpt: null, action: 'relayed', status: '2.00.000', remoteMta: 'relay.old.example', diagnostic: '250 ok' },
        ],
      }),
      header: crlf(
        'From: Mail Delivery System <MAILER-DAEMON@mx.example.org>',
        'To: alice@example.org',
        'Subject: Successful Mail Delivery Report',
        'Date: Sat, 28 Nov 2026 00:00:05 +0000',
        'Message-ID: <dsn.Q1@mx.example.org>',
        'MIME-Version: 1.0',
        'Auto-Submitted: auto-replied',
        'Content-Type: multipart/report; report-type=delivery-status;',
        '\tboundary="B0undary.1"',
        '',
        '',
      ),
      status: crlf(
        'Original-Envelope-Id: env-7',
        'Reporting-MTA: dns; mx.example.org',
        'Arrival-Date: Fri, 27 Nov 2026 23:40:00 +0000',
        '',
        'Original-Recipient: rfc822; erin@remote.example',
        'Final-Recipient: rfc822; erin@remote.example',
        'Action: delivered',
        'Status: 2.0.0',
        'Remote-MTA: dns; mx.remote.example',
        'Diagnostic-Code: smtp; 250 2.0.0 Ok: queued as 4XyZ',
        '',
        'Final-Recipient: rfc822; frank@old.example',
        'Action: relayed',
        'Status: 2.0.0',
        'Remote-MTA: dns; relay.old.example',
        'Diagnostic-Code: smtp; 250 ok',
        '',
      ),
      types: ['text/plain', 'message/delivery-status', 'text/rfc822-headers'],
    },
    {
      name: 'a status of the wrong class for its action, or none, is the action\'s X.0.0; an ORCPT without a type is left out',
      input: input({
        recipients: [
          { finalRecipient: 'gina@remote.example', orcpt: 'gina@remote.example', action: 'failed', status: '2.1.5' },
          { finalRecipient: 'hal@remote.example', orcpt: 'x400;c=us;a=att;s=hal', action: 'failed', status: '4.4.7' },
        ],
      }),
      header: crlf(
        'From: Mail Delivery System <MAILER-DAEMON@mx.example.org>',
        'To: alice@example.org',
        'Subject: Undelivered Mail Returned to Sender',
        'Date: Sat, 28 Nov 2026 00:00:05 +0000',
        'Message-ID: <dsn.Q1@mx.example.org>',
        'MIME-Version: 1.0',
        'Auto-Submitted: auto-replied',
        'Content-Type: multipart/report; report-type=delivery-status;',
        '\tboundary="B0undary.1"',
        '',
        '',
      ),
      status: crlf(
        'Reporting-MTA: dns; mx.example.org',
        'Arrival-Date: Fri, 27 Nov 2026 23:40:00 +0000',
        '',
        'Final-Recipient: rfc822; gina@remote.example',
        'Action: failed',
        'Status: 5.0.0',
        '',
        'Original-Recipient: x400; c=us;a=att;s=hal',
        'Final-Recipient: rfc822; hal@remote.example',
        'Action: failed',
        'Status: 4.4.7',
        '',
      ),
      types: ['text/plain', 'message/delivery-status', 'message/rfc822'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const dsn = buildDsn(c.input);
      checkWire(dsn);
      const r = read(dsn);
      assert.equal(r.header, c.header);
      assert.equal(r.type, 'multipart/report');
      assert.deepEqual(r.parts.map((p) => p.type), c.types);
      assert.equal(statusText(dsn), c.status);
      assert.equal(part(dsn, 1).header, crlf('Content-Type: message/delivery-status', 'Content-Transfer-Encoding: 7bit', 'Content-Description: Delivery report', '', ''));
    });
  }

  it('the From display name is quoted or RFC 2047 encoded as needed', () => {
    const first = (dsn: Buffer): string => dsn.toString('utf8').split('\r\n')[0] as string;
    assert.equal(first(buildDsn(input({ fromName: 'Postmaster, Example Org' }))), 'From: "Postmaster, Example Org" <MAILER-DAEMON@mx.example.org>');
    assert.equal(first(buildDsn(input({ fromName: 'Système de messagerie' }))), 'From: =?UTF-8?Q?Syst=C3=A8me_de_messagerie?= <MAILER-DAEMON@mx.example.org>');
    assert.equal(first(buildDsn(input({ fromName: 'Evil\r\nBcc: x@y' }))), 'From: "Evil Bcc: x@y" <MAILER-DAEMON@mx.example.org>');
  });

  it('caller errors are TypeErrors: no recipients, null sender, bad Message-ID, boundary or date', () => {
    assert.throws(() => buildDsn(input({ recipients: [] })), TypeError);
    assert.throws(() => buildDsn(input({ sender: '' })), TypeError);
    assert.throws(() => buildDsn(input({ messageId: 'no-brackets@x' })), TypeError);
    assert.throws(() => buildDsn(input({ messageId: '<a\r\nb@x>' })), TypeError);
    assert.throws(() => buildDsn(input({ boundary: 'has"quote' })), TypeError);
    assert.throws(() => buildDsn(input({ boundary: 'x'.repeat(71) })), TypeError);
    assert.throws(() => buildDsn(input({ date: new Date(Number.NaN) })), TypeError);
  });
});

describe('buildDsn: the human-readable part', () => {
  it('failure: what happened, to whom, what the remote server answered, what is attached', () => {
    const dsn = buildDsn(input({ recipients: [BOB, CAROL], queueId: 'Q1ABC' }));
    assert.equal(part(dsn, 0).header, crlf('Content-Type: text/plain; charset=us-ascii', 'Content-Transfer-Encoding: 7bit', 'Content-Description: Notification', '', ''));
    assert.equal(
      part(dsn, 0).body.toString('utf8'),
      crlf(
        'This is the mail system at mx.example.org.',
        '',
        'Your message could not be delivered to one or more of its recipients. The',
        'mail system has given up on the recipients listed below.',
        '',
        'If you need help, write to the postmaster of mx.example.org and give the',
        'queue ID Q1ABC.',
        '',
        '<bob@remote.example>: delivery failed (status 5.1.1).',
        '    The mail server mx.remote.example answered:',
        '      550-5.1.1 The email account that you tried to reach does not exist.',
        '        Please try',
        "      550 5.1.1 double-checking the recipient's email address for typos.",
        '',
        '<carol@remote.example>: delivery failed (status 5.2.2).',
        '    The mail server mx.remote.example answered:',
        '      552 5.2.2 Mailbox full',
        '',
        'The message is attached below.',
        '',
      ),
    );
  });

  it('delay: says until when the mail system keeps trying, and that the header is attached', () => {
    const dave: DsnRecipientReport = { finalRecipient: 'dave@slow.example', orcpt: 'rfc822;dave@old.example', action: 'delayed', status: '4.4.1', remoteMta: 'mx.slow.example', willRetryUntil: at('2026-12-02T23:40:00Z') };
    const text = part(buildDsn(input({ kind: 'delay', recipients: [dave] })), 0).body.toString('utf8');
    assert.equal(
      text,
      crlf(
        'This is the mail system at mx.example.org.',
        '',
        'Your message has not been delivered yet to the recipients listed below. The',
        'mail system is still trying; you do not need to send the message again. If',
        'it gives up, you will get another report.',
        '',
        'If you need help, write to the postmaster of mx.example.org.',
        '',
        '<dave@slow.example> (you wrote to <dave@old.example>): delivery is delayed',
        '    (status 4.4.1); the mail system will keep trying until Wed, 2 Dec 2026',
        '    23:40:00 +0000.',
        '    The last server tried was mx.slow.example.',
        '',
        'The header of the message is attached below.',
        '',
      ),
    );
  });

  it('success: delivered, relayed and expanded are told apart', () => {
    const rcpt = (finalRecipient: string, action: DsnRecipientReport['action']): DsnRecipientReport => ({ finalRecipient, orcpt: null, action, status: '2.0.0' });
    const text = part(buildDsn(input({ kind: 'success', recipients: [rcpt('a@x.example', 'delivered'), rcpt('b@x.example', 'relayed'), rcpt('c@x.example', 'expanded')] })), 0).body.toString('utf8');
    assert.ok(text.includes('Your message was delivered to the recipients listed below; you asked for\r\nthis report.'), text);
    assert.ok(text.includes('<a@x.example>: delivered (status 2.0.0).'), text);
    assert.ok(text.includes('<b@x.example>: passed on (status 2.0.0) to a mail system that sends no\r\n    delivery reports; none will follow.'), text);
    assert.ok(text.includes('<c@x.example>: delivered (status 2.0.0) to an alias, which passed it on to\r\n    further recipients.'), text);
    assert.ok(!text.includes('postmaster'), 'no help line for a success');
  });
});

describe('buildDsn: the returned content (RFC 3461 section 4.3)', () => {
  const big = Buffer.concat([Buffer.from(ORIGINAL_HEADER + '\r\n'), Buffer.from('x'.repeat(70) + '\r\n').subarray(0, 72), Buffer.alloc(200, 'y'), Buffer.from('\r\n')]);
  const cases: { name: string; input: DsnInput; type: string; cte: string; description: string; body: Buffer | string; sentence: string }[] = [
    { name: 'failure without RET: the whole message', input: input(), type: 'message/rfc822', cte: '7bit', description: 'Undelivered Message', body: ORIGINAL, sentence: 'The message is attached below.' },
    { name: 'failure, RET=FULL: the whole message', input: input({ ret: 'FULL' }), type: 'message/rfc822', cte: '7bit', description: 'Undelivered Message', body: ORIGINAL, sentence: 'The message is attached below.' },
    { name: 'failure, RET=HDRS: the header only', input: input({ ret: 'HDRS' }), type: 'text/rfc822-headers', cte: '7bit', description: 'Undelivered Message Headers', body: ORIGINAL_HEADER, sentence: 'The header of the message is attached below.' },
    {
      name: 'failure, RET=FULL, over the limit: the header, and a sentence saying why',
      input: input({ ret: 'FULL', original: big, returnLimit: 200 }),
      type: 'text/rfc822-headers', cte: '7bit', description: 'Undelivered Message Headers', body: ORIGINAL_HEADER,
      sentence: `The message was too large to return in full (${big.length} octets, the limit is 200); only its header is attached below.`,
    },
    { name: 'delay, RET=FULL: the header only (no failure in the report)', input: input({ kind: 'delay', ret: 'FULL', recipients: [{ ...BOB, action: 'delayed', status: '4.2.0' }] }), type: 'text/rfc822-headers', cte: '7bit', description: 'Delayed Message Headers', body: ORIGINAL_HEADER, sentence: 'The header of the message is attached below.' },
    { name: 'success, RET=FULL: the header only', input: input({ kind: 'success', ret: 'FULL', recipients: [{ ...CAROL, action: 'delivered', status: '2.0.0' }] }), type: 'text/rfc822-headers', cte: '7bit', description: 'Delivered Message Headers', body: ORIGINAL_HEADER, sentence: 'The header of the message is attached below.' },
    {
      name: 'an 8-bit body is returned as it is, labelled 8bit',
      input: input({ original: Buffer.from(ORIGINAL_HEADER + '\r\nGrüße, Alice\r\n') }),
      type: 'message/rfc822', cte: '8bit', description: 'Undelivered Message', body: ORIGINAL_HEADER + '\r\nGrüße, Alice\r\n', sentence: 'The message is attached below.',
    },
    {
      name: 'a body line over 998 octets cannot travel as 8bit: the header only',
      input: input({ original: Buffer.from(ORIGINAL_HEADER + '\r\n' + 'z'.repeat(1200) + '\r\n') }),
      type: 'text/rfc822-headers', cte: '7bit', description: 'Undelivered Message Headers', body: ORIGINAL_HEADER,
      sentence: 'The message could not be returned in full (it has lines too long or characters mail cannot carry as they are); only its header is attached below.',
    },
    {
      name: 'a header over the limit is cut at a field, and the cut is told',
      input: input({ ret: 'HDRS', returnLimit: 60 }),
      type: 'text/rfc822-headers', cte: '7bit', description: 'Undelivered Message Headers', body: crlf('From: Alice <alice@example.org>', 'To: bob@remote.example', ''),
      sentence: 'The header of the message is attached below. Some of its header fields were left out: they were too long to send back, or past the size limit.',
    },
    {
      name: 'bare LF in the original becomes CRLF',
      input: input({ original: Buffer.from('Subject: lf\nFrom: a@b.example\n\nbody\n') }),
      type: 'message/rfc822', cte: '7bit', description: 'Undelivered Message', body: crlf('Subject: lf', 'From: a@b.example', '', 'body', ''), sentence: 'The message is attached below.',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const dsn = buildDsn(c.input);
      checkWire(dsn);
      const third = part(dsn, 2);
      assert.equal(third.header, crlf(`Content-Type: ${c.type}`, `Content-Transfer-Encoding: ${c.cte}`, `Content-Description: ${c.description}`, '', ''));
      assert.equal(third.body.toString('utf8'), Buffer.from(c.body).toString('utf8'));
      assert.equal(third.message, c.type === 'message/rfc822', 'the indexer sees an encapsulated message exactly when the whole is returned');
      const text = part(dsn, 0).body.toString('utf8').replace(/\r\n(?!\r\n)/g, ' ');
      assert.ok(text.includes(c.sentence), text);
    });
  }

  it('the default limit is Postfix\'s 50,000 octets', () => {
    assert.equal(DSN_RETURN_LIMIT_DEFAULT, 50_000);
    const large = Buffer.concat([Buffer.from(ORIGINAL_HEADER + '\r\n'), Buffer.from(`${'w'.repeat(98)}\r\n`.repeat(500))]);
    assert.equal(part(buildDsn(input({ original: large })), 2).type, 'text/rfc822-headers');
  });
});

describe('buildDsn: internationalised mail (RFC 6533)', () => {
  const UTF8_ORIGINAL = Buffer.from(crlf('From: Jörg <jörg@bücher.example>', 'To: δοκιμή@παράδειγμα.δοκιμή', 'Subject: Grüße', '', 'Hallo', ''));

  it('a UTF-8 sender and recipient: global types, utf-8 address type in its raw form, UTF-8 To', () => {
    const dsn = buildDsn(
      input({
        sender: 'jörg@bücher.example',
        original: UTF8_ORIGINAL,
        recipients: [{ finalRecipient: 'δοκιμή@παράδειγμα.δοκιμή', orcpt: 'utf-8;\\x{3B4}\\x{3BF}\\x{3BA}\\x{3B9}\\x{3BC}\\x{3AE}@παράδειγμα.δοκιμή', action: 'failed', status: '5.1.1', remoteMta: 'mx.παράδειγμα.example', diagnostic: '550 5.1.1 Benutzer unbekannt: Jörg' }],
      }),
    );
    checkWire(dsn, false);
    const r = read(dsn);
    assert.match(r.header, /^To: jörg@bücher\.example\r\n/m);
    assert.match(r.header, /^Content-Type: multipart\/report; report-type=global-delivery-status;\r\n/m);
    assert.deepEqual(r.parts.map((p) => p.type), ['text/plain', 'message/global-delivery-status', 'message/global']);
    assert.equal(r.parts[1]?.header, crlf('Content-Type: message/global-delivery-status', 'Content-Transfer-Encoding: 8bit', 'Content-Description: Delivery report', '', ''));
    assert.equal(
      statusText(dsn),
      crlf(
        'Reporting-MTA: dns; mx.example.org',
        'Arrival-Date: Fri, 27 Nov 2026 23:40:00 +0000',
        '',
        'Original-Recipient: utf-8; δοκιμή@παράδειγμα.δοκιμή',
        'Final-Recipient: utf-8; δοκιμή@παράδειγμα.δοκιμή',
        'Action: failed',
        'Status: 5.1.1',
        'Remote-MTA: dns; mx.xn--hxajbheg2az3al.example',
        'Diagnostic-Code: smtp; 550 5.1.1 Benutzer unbekannt: Jörg',
        '',
      ),
    );
    assert.equal(r.parts[0]?.header, crlf('Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', 'Content-Description: Notification', '', ''));
    assert.equal(r.parts[2]?.header, crlf('Content-Type: message/global', 'Content-Transfer-Encoding: 8bit', 'Content-Description: Undelivered Message', '', ''));
    assert.equal(r.parts[2]?.body.toString('utf8'), UTF8_ORIGINAL.toString('utf8'));
    assert.deepEqual(dsnTransport(dsn), { body: '8bitmime', smtpUtf8: true });
  });

  it('ASCII addresses but a UTF-8 header returned alone: message/global-headers', () => {
    const dsn = buildDsn(input({ ret: 'HDRS', original: UTF8_ORIGINAL }));
    checkWire(dsn);
    const r = read(dsn);
    assert.deepEqual(r.parts.map((p) => p.type), ['text/plain', 'message/global-delivery-status', 'message/global-headers']);
    assert.equal(r.parts[2]?.body.toString('utf8'), crlf('From: Jörg <jörg@bücher.example>', 'To: δοκιμή@παράδειγμα.δοκιμή', 'Subject: Grüße', ''));
    assert.deepEqual(dsnTransport(dsn), { body: '8bitmime', smtpUtf8: false });
  });

  it('a classic report writes a utf-8 ORCPT in its 7-bit utf-8-addr-xtext form; non-ASCII reply text becomes "?"', () => {
    const dsn = buildDsn(input({ recipients: [{ ...CAROL, orcpt: 'UTF-8;a+b=c@x.example', diagnostic: '552 5.2.2 Postfach voll – später' }] }));
    checkWire(dsn);
    assert.ok(statusText(dsn).includes('Original-Recipient: utf-8; a\\x{2B}b\\x{3D}c@x.example\r\n'), statusText(dsn));
    assert.ok(statusText(dsn).includes('Diagnostic-Code: smtp; 552 5.2.2 Postfach voll ? sp?ter\r\n'), statusText(dsn));
    assert.deepEqual(dsnTransport(dsn), { body: '7bit', smtpUtf8: false });
  });
});

describe('buildDsn: hostile input cannot break the structure', () => {
  const injection = crlf('550 5.1.1 no such user', '--B0undary.1--', 'Content-Type: text/html', '', '<b>owned</b>', 'X-Injected: yes');
  const hostileOriginal = Buffer.from(crlf('Subject: boundary inside', 'From: m@x.example', '', '--B0undary.1', 'Content-Type: text/plain', '', 'fake part', '--b0undary.1=1--', ''));

  it('CRLF and the boundary in the diagnostic and the original: the boundary changes, the reply stays inside its field', () => {
    const dsn = buildDsn(input({ original: hostileOriginal, recipients: [{ ...BOB, diagnostic: injection }] }));
    checkWire(dsn);
    const r = read(dsn);
    assert.match(r.header, /\tboundary="B0undary\.1=2"\r\n/);
    assert.deepEqual(r.parts.map((p) => p.type), ['text/plain', 'message/delivery-status', 'message/rfc822']);
    assert.equal(r.parts[2]?.body.toString(), hostileOriginal.toString());
    const status = statusText(dsn);
    assert.ok(
      status.includes(crlf('Diagnostic-Code: smtp; 550 5.1.1 no such user', ' --B0undary.1--', ' Content-Type: text/html', ' <b>owned</b>', ' X-Injected: yes', '')),
      status,
    );
    assert.equal(status.split('\r\n').filter((line) => /^(?:Content-Type|X-Injected):/i.test(line)).length, 0);
  });

  it('controls, NUL and a 3000-character word in the reply are replaced and folded under 998 octets', () => {
    const reply = `550 5.7.1 a\x00b\x1b[31mc\td ${'W'.repeat(3000)} end\rbare cr`;
    const dsn = buildDsn(input({ recipients: [{ ...BOB, diagnostic: reply }] }));
    checkWire(dsn);
    const status = statusText(dsn);
    assert.ok(status.includes('Diagnostic-Code: smtp; 550 5.7.1 a b [31mc d\r\n'), status);
    assert.ok(status.includes(` ${'W'.repeat(900)}\r\n ${'W'.repeat(900)}\r\n`));
    assert.ok(status.includes(' end\r\n bare cr\r\n'), status);
    assert.ok(!status.includes('\x00') && !status.includes('\x1b'));
  });

  it('an original without a blank line after its header: RET=HDRS returns the field lines only, FULL the message as it is', () => {
    const noBlank = Buffer.from(crlf('Subject: no separator', 'From: m@x.example', 'this line is the body', 'Content-Type: text/html', ''));
    const headers = buildDsn(input({ ret: 'HDRS', original: noBlank }));
    checkWire(headers);
    assert.equal(part(headers, 2).body.toString(), crlf('Subject: no separator', 'From: m@x.example', ''));
    const full = buildDsn(input({ ret: 'FULL', original: noBlank }));
    checkWire(full);
    assert.equal(part(full, 2).body.toString(), noBlank.toString());
  });

  it('CR and LF in addresses, hosts and ENVID never start a field', () => {
    const dsn = buildDsn(
      input({
        sender: 'alice@example.org\r\nBcc: victim@example.net',
        envid: 'id\r\nX-Evil: 1',
        recipients: [{ ...BOB, finalRecipient: 'bob@remote.example\r\nAction: delivered', orcpt: 'rfc822;o@x\nStatus: 2.0.0', remoteMta: 'mx.remote.example\r\nX: y' }],
      }),
    );
    checkWire(dsn);
    const lines = dsn.toString().split('\r\n');
    for (const name of ['Bcc', 'X-Evil', 'X']) assert.ok(!lines.some((l) => l.startsWith(`${name}:`)), name);
    assert.equal(lines.filter((l) => l.startsWith('Action:')).length, 1);
    assert.equal(lines.filter((l) => l.startsWith('Status:')).length, 1);
    assert.ok(lines.includes('To: alice@example.org??Bcc: victim@example.net'));
    assert.ok(lines.includes('Original-Envelope-Id: id??X-Evil: 1'));
    assert.ok(lines.includes('Remote-MTA: dns; mx.remote.exampleX:y'));
  });

  it('an original whose first line is no header field: nothing to return, no third part', () => {
    const dsn = buildDsn(input({ ret: 'HDRS', original: Buffer.from(crlf('not a header line', '', 'body', '')) }));
    checkWire(dsn);
    assert.deepEqual(read(dsn).parts.map((p) => p.type), ['text/plain', 'message/delivery-status']);
    assert.ok(part(dsn, 0).body.toString().includes('The message is not attached: it had no header to return.'));
  });

  it('a 300-octet address stays one word; a 2000-octet one is cut under the line limit', () => {
    const long = `${'l'.repeat(64)}@${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(63)}.${'g'.repeat(40)}.example`;
    const ok = buildDsn(input({ recipients: [{ ...CAROL, finalRecipient: long }] }));
    checkWire(ok);
    assert.ok(statusText(ok).includes(`Final-Recipient: rfc822;\r\n ${long}\r\n`), statusText(ok));
    const huge = buildDsn(input({ sender: `${'s'.repeat(2000)}@x.example`, recipients: [{ ...CAROL, finalRecipient: `${'r'.repeat(2000)}@x.example` }] }));
    checkWire(huge);
  });

  it('an original with a NUL octet is not returned whole', () => {
    const dsn = buildDsn(input({ original: Buffer.from(ORIGINAL_HEADER + '\r\nnul\x00here\r\n') }));
    checkWire(dsn);
    assert.equal(part(dsn, 2).type, 'text/rfc822-headers');
    assert.equal(part(dsn, 2).body.toString(), ORIGINAL_HEADER);
  });
});

describe('wantsDsn (RFC 3461 NOTIFY)', () => {
  const cases: [string[] | null, boolean, boolean, boolean][] = [
    // notify, failure, delay, success
    [null, true, true, false],
    [[], true, true, false],
    [['NEVER'], false, false, false],
    [['SUCCESS'], false, false, true],
    [['FAILURE'], true, false, false],
    [['DELAY'], false, true, false],
    [['success', 'failure', 'delay'], true, true, true],
    [['NEVER', 'FAILURE'], false, false, false],
  ];
  for (const [notify, failure, delay, success] of cases) {
    it(`NOTIFY=${notify === null ? '(none)' : notify.join(',') || '(empty)'}`, () => {
      assert.deepEqual([wantsDsn(notify, 'failure'), wantsDsn(notify, 'delay'), wantsDsn(notify, 'success')], [failure, delay, success]);
    });
  }
});

describe('parseEnhancedStatus (RFC 3463)', () => {
  const cases: [string, string | null][] = [
    ['550 5.1.1 <x@y>: Recipient address rejected', '5.1.1'],
    ['250 2.0.0 Ok: queued as ABC', '2.0.0'],
    ['450 4.2.0 <x@y>: Recipient address rejected: Greylisted', '4.2.0'],
    ['554 Transaction failed', '5.0.0'],
    ['421 mx.example.com closing', '4.0.0'],
    ['550', '5.0.0'],
    ['550-5.7.1 first line\r\n550 5.7.1 second line', '5.7.1'],
    ['550-first line has none\r\n550 5.1.10 null MX', '5.1.10'],
    ['550 4.1.1 the class follows the reply code', '5.1.1'],
    ['550 5.01.001 leading zeros', '5.1.1'],
    ['550 5.1.1234 too many digits', '5.0.0'],
    ['550 5.1 not a code', '5.0.0'],
    ['354 go ahead', null],
    ['hello', null],
    ['', null],
  ];
  for (const [reply, code] of cases) {
    it(JSON.stringify(reply), () => assert.equal(parseEnhancedStatus(reply), code));
  }
});

describe('dsnKindSubject', () => {
  it('uses the wording operators know', () => {
    assert.equal(dsnKindSubject('failure'), 'Undelivered Mail Returned to Sender');
    assert.equal(dsnKindSubject('delay'), 'Delayed Mail (still being retried)');
    assert.equal(dsnKindSubject('success'), 'Successful Mail Delivery Report');
  });
});

// ---------------------------------------------------------------- Python's email package

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** Reads each report (base64, one a line on stdin) with email.policy.default and prints what it found as JSON. */
const PY_READ = String.raw`
import base64, email, email.policy, json, sys
keep = email.policy.default.clone(linesep='\r\n', refold_source='none', utf8=True)

def fields(msg):
    return [[k, str(v)] for k, v in msg.items()]

def status_groups(part):
    ct = part.get_content_type()
    if ct == 'message/delivery-status':
        return [fields(block) for block in part.get_payload()]
    # Python does not know message/global-delivery-status: it reads it as a message.
    raw = part.get_payload()[0].as_bytes(policy=keep.clone(linesep='\n'))
    return [fields(email.message_from_bytes(block, policy=email.policy.default)) for block in raw.split(b'\n\n') if block.strip()]

out = []
for line in sys.stdin.read().split():
    msg = email.message_from_bytes(base64.b64decode(line), policy=email.policy.default)
    parts = msg.get_payload()
    third = parts[2] if len(parts) > 2 else None
    returned = None
    if third is not None:
        if third.get_content_maintype() == 'message' and third.get_content_type() != 'message/global-headers':
            returned = base64.b64encode(third.get_payload()[0].as_bytes(policy=keep)).decode()
        elif third.get_content_type() == 'text/rfc822-headers':
            returned = base64.b64encode(third.get_payload(decode=True)).decode()
    out.append({
        'type': msg.get_content_type(),
        'reportType': msg.get_param('report-type'),
        'boundary': msg.get_boundary(),
        'subject': str(msg['Subject']),
        'autoSubmitted': str(msg['Auto-Submitted']),
        'to': str(msg['To']),
        'defects': [type(d).__name__ for d in msg.defects],
        'parts': [[p.get_content_type(), str(p.get('Content-Transfer-Encoding')), [type(d).__name__ for d in p.defects]] for p in parts],
        'text': parts[0].get_content(),
        'status': status_groups(parts[1]),
        'returned': returned,
    })
print(json.dumps(out))
`;

interface PyReport {
  type: string;
  reportType: string;
  boundary: string;
  subject: string;
  autoSubmitted: string;
  to: string;
  defects: string[];
  parts: [string, string, string[]][];
  text: string;
  status: [string, string][][];
  returned: string | null;
}

async function pythonRead(dsns: Buffer[]): Promise<PyReport[]> {
  const r = await run(PYTHON, ['-c', PY_READ], { input: dsns.map((d) => d.toString('base64')).join('\n'), timeoutMs: 30_000 });
  assert.equal(r.code, 0, `python failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as PyReport[];
}

describe('Python email reads the reports', () => {
  it('content types, delivery-status fields, and the returned message round-trips', async (t) => {
    if (!requireTools(t, 'python3')) return;
    const hostileOriginal = Buffer.from(crlf('Subject: boundary inside', 'From: m@x.example', '', '--B0undary.1', 'fake', '--B0undary.1--', ''));
    const utf8Original = Buffer.from(crlf('From: Jörg <jörg@bücher.example>', 'Subject: Grüße', '', 'Hallo', ''));
    const reports = [
      buildDsn(input({ envid: 'QQ314159', recipients: [BOB, CAROL] })),
      buildDsn(input({ kind: 'delay', recipients: [{ ...BOB, action: 'delayed', status: '4.4.1', willRetryUntil: at('2026-12-02T23:40:00Z') }] })),
      buildDsn(input({ original: hostileOriginal, recipients: [{ ...BOB, diagnostic: crlf('550 5.1.1 x', '--B0undary.1--', 'X-Injected: yes') }] })),
      buildDsn(input({ sender: 'jörg@bücher.example', original: utf8Original, recipients: [{ ...BOB, finalRecipient: 'δοκιμή@παράδειγμα.δοκιμή', orcpt: null }] })),
      buildDsn(input({ ret: 'HDRS', boundary: 'Q1ABC.mhx2k/mx.example.org' })),
    ];
    const [failure, delay, hostile, global, hdrs] = (await pythonRead(reports)) as [PyReport, PyReport, PyReport, PyReport, PyReport];
    for (const report of [failure, delay, hostile, global, hdrs]) {
      assert.equal(report.type, 'multipart/report');
      assert.deepEqual(report.defects, []);
      assert.equal(report.autoSubmitted, 'auto-replied');
      for (const [, , defects] of report.parts) assert.deepEqual(defects, []);
    }

    assert.equal(failure.reportType, 'delivery-status');
    assert.equal(failure.subject, 'Undelivered Mail Returned to Sender');
    assert.deepEqual(failure.parts.map((p) => p.slice(0, 2)), [['text/plain', '7bit'], ['message/delivery-status', '7bit'], ['message/rfc822', '7bit']]);
    assert.deepEqual(failure.status[0], [['Original-Envelope-Id', 'QQ314159'], ['Reporting-MTA', 'dns; mx.example.org'], ['Arrival-Date', 'Fri, 27 Nov 2026 23:40:00 +0000']]);
    assert.deepEqual(failure.status[1], [
      ['Original-Recipient', 'rfc822; bob@remote.example'],
      ['Final-Recipient', 'rfc822; bob@remote.example'],
      ['Action', 'failed'],
      ['Status', '5.1.1'],
      ['Remote-MTA', 'dns; mx.remote.example'],
      ['Diagnostic-Code', "smtp; 550-5.1.1 The email account that you tried to reach does not exist. Please try 550 5.1.1 double-checking the recipient's email address for typos."],
      ['Last-Attempt-Date', 'Sat, 28 Nov 2026 00:00:00 +0000'],
    ]);
    assert.equal(failure.status.length, 3);
    assert.ok(failure.text.includes('<carol@remote.example>: delivery failed (status 5.2.2).'));
    assert.equal(Buffer.from(failure.returned ?? '', 'base64').toString(), ORIGINAL.toString());

    assert.equal(delay.subject, 'Delayed Mail (still being retried)');
    assert.deepEqual(delay.parts.map((p) => p[0]), ['text/plain', 'message/delivery-status', 'text/rfc822-headers']);
    assert.deepEqual(delay.status[1]?.find(([k]) => k === 'Will-Retry-Until'), ['Will-Retry-Until', 'Wed, 2 Dec 2026 23:40:00 +0000']);
    assert.equal(Buffer.from(delay.returned ?? '', 'base64').toString(), ORIGINAL_HEADER);

    assert.equal(hostile.boundary, 'B0undary.1=1');
    assert.equal(hostile.parts.length, 3);
    assert.deepEqual(hostile.status[1]?.map(([k]) => k), ['Original-Recipient', 'Final-Recipient', 'Action', 'Status', 'Remote-MTA', 'Diagnostic-Code', 'Last-Attempt-Date']);
    assert.deepEqual(hostile.status[1]?.find(([k]) => k === 'Diagnostic-Code'), ['Diagnostic-Code', 'smtp; 550 5.1.1 x --B0undary.1-- X-Injected: yes']);
    assert.equal(Buffer.from(hostile.returned ?? '', 'base64').toString(), hostileOriginal.toString());

    assert.equal(global.reportType, 'global-delivery-status');
    assert.equal(global.to, 'jörg@bücher.example');
    assert.deepEqual(global.parts.map((p) => p.slice(0, 2)), [['text/plain', '8bit'], ['message/global-delivery-status', '8bit'], ['message/global', '8bit']]);
    assert.deepEqual(global.status[1]?.slice(0, 2), [['Final-Recipient', 'utf-8; δοκιμή@παράδειγμα.δοκιμή'], ['Action', 'failed']]);
    assert.equal(Buffer.from(global.returned ?? '', 'base64').toString(), utf8Original.toString());

    assert.equal(hdrs.boundary, 'Q1ABC.mhx2k/mx.example.org', 'a boundary with "/" (the queue\'s form) is quoted and read back whole');
    assert.deepEqual(hdrs.parts.map((p) => p[0]), ['text/plain', 'message/delivery-status', 'text/rfc822-headers']);
    assert.equal(Buffer.from(hdrs.returned ?? '', 'base64').toString(), ORIGINAL_HEADER);
  });
});
