/*
 * Delivery status notifications (RFC 3464, 3461, 6522, 6533): literal
 * field lines and structure for failure, delay and success reports; RET
 * FULL, HDRS and an original over the limit; ENVID and ORCPT; the global
 * (UTF-8) types; hostile input (a reply with CR/LF that tries to add a
 * field, an original containing the boundary, an original without a blank
 * line); NOTIFY semantics and enhanced codes as tables. Each report is
 * also read back by two independent parsers: Petrel's own MIME indexer
 * and Debian's Python `email` package.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requireTools, run } from '../../test/support/tools.js';
import { buildDsn, dsnKindSubject, dsnTransport, parseEnhancedStatus, wantsDsn, type DsnInput, type DsnRecipientReport } from './dsn.js';
import { indexMessage } from './index.js';

const ORIGINAL = Buffer.from('From: Ann <ann@example.com>\r\nTo: bob@remote.test, carol@remote.test\r\nSubject: Quarterly report\r\nMessage-ID: <q1@example.com>\r\n\r\nThe numbers are up.\r\n');
const AT = new Date('2026-12-02T10:00:00Z');

function input(extra: Partial<DsnInput> = {}, recipients: DsnRecipientReport[] = [failed('bob@remote.test')]): DsnInput {
  return {
    kind: 'failure',
    reportingMta: 'mx.example.com',
    from: 'MAILER-DAEMON@mx.example.com',
    sender: 'ann@example.com',
    original: ORIGINAL,
    ret: null,
    envid: null,
    arrivalDate: new Date('2026-12-02T09:58:00Z'),
    recipients,
    date: AT,
    messageId: '<dsn1@mx.example.com>',
    boundary: 'B0UNDARY.1/mx.example.com',
    queueId: 'Q1',
    ...extra,
  };
}

function failed(address: string, extra: Partial<DsnRecipientReport> = {}): DsnRecipientReport {
  return { finalRecipient: address, orcpt: null, action: 'failed', status: '5.1.1', remoteMta: 'mx.remote.test', diagnostic: `550 5.1.1 <${address}>: Recipient address rejected: User unknown`, lastAttempt: AT, ...extra };
}

const text = (b: Buffer) => b.toString('utf8');
const unfold = (s: string) => s.replace(/\r\n[ \t]+/g, ' ');
/** The fields of the delivery-status part: per-message group and per-recipient groups. */
function statusGroups(dsn: string): string[][] {
  const m = /Content-Type: message\/(?:global-)?delivery-status\r\n(?:[^\r\n]+\r\n)*\r\n([\s\S]*?)\r\n--/.exec(dsn);
  assert.ok(m, 'a delivery-status part');
  return unfold(m[1]!).split(/\r\n\r\n/).map((g) => g.split('\r\n').filter(Boolean));
}

/** Debian's Python email package: content types of every part and the delivery-status fields. */
async function pythonView(dsn: Buffer): Promise<{ types: string[]; groups: Record<string, string>[]; returned: string | null }> {
  const script = `
import email, email.policy, json, sys
m = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)
types = [p.get_content_type() for p in m.walk()]
groups, returned = [], None
for p in m.walk():
    if p.get_content_type() in ('message/delivery-status', 'message/global-delivery-status'):
        for g in p.get_payload():
            groups.append({k: str(v) for k, v in g.items()})
    if p.get_content_type() in ('message/rfc822', 'message/global'):
        inner = p.get_payload()[0]
        returned = str(inner['Subject'])
print(json.dumps({'types': types, 'groups': groups, 'returned': returned}))
`;
  const r = await run('/usr/bin/python3', ['-c', script], { input: dsn });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { types: string[]; groups: Record<string, string>[]; returned: string | null };
}

describe('DSN: what a report says', () => {
  it('failure: header, three parts, per-message and per-recipient fields in RFC 3464 order', () => {
    const dsn = text(buildDsn(input({}, [failed('bob@remote.test'), failed('carol@remote.test', { status: '5.2.2', diagnostic: '552 5.2.2 Mailbox full' })])));
    const header = dsn.slice(0, dsn.indexOf('\r\n\r\n'));
    assert.match(header, /^From: Mail Delivery System <MAILER-DAEMON@mx\.example\.com>\r\n/);
    assert.match(header, /\r\nTo: ann@example\.com\r\n/);
    assert.match(header, /\r\nSubject: Undelivered Mail Returned to Sender\r\n/);
    assert.match(header, /\r\nDate: Wed, 2 Dec 2026 10:00:00 \+0000\r\n/);
    assert.match(header, /\r\nMessage-ID: <dsn1@mx\.example\.com>\r\n/);
    assert.match(header, /\r\nAuto-Submitted: auto-replied/);
    assert.match(unfold(header), /Content-Type: multipart\/report; report-type=delivery-status; boundary="B0UNDARY\.1\/mx\.example\.com"/);
    const groups = statusGroups(dsn);
    assert.deepEqual(groups[0], ['Reporting-MTA: dns; mx.example.com', 'Arrival-Date: Wed, 2 Dec 2026 09:58:00 +0000', 'X-Petrel-Queue-ID: Q1']);
    assert.deepEqual(groups[1], [
      'Final-Recipient: rfc822; bob@remote.test',
      'Action: failed',
      'Status: 5.1.1',
      'Remote-MTA: dns; mx.remote.test',
      'Diagnostic-Code: smtp; 550 5.1.1 <bob@remote.test>: Recipient address rejected: User unknown',
      'Last-Attempt-Date: Wed, 2 Dec 2026 10:00:00 +0000',
    ]);
    assert.equal(groups[2]![2], 'Status: 5.2.2');
    assert.match(dsn, /<bob@remote\.test>: delivery failed \(status 5\.1\.1\)/, 'the human part names each recipient');
    assert.match(dsn, /Content-Type: message\/rfc822\r\n/);
    assert.ok(dsn.includes(ORIGINAL.toString()), 'the whole original comes back by default');
    assert.equal(dsnKindSubject('failure'), 'Undelivered Mail Returned to Sender');
  });

  it('ENVID and ORCPT come back as Original-Envelope-Id and Original-Recipient; RET=HDRS returns the header only', () => {
    const dsn = text(buildDsn(input({ ret: 'HDRS', envid: 'env-42' }, [failed('bob@remote.test', { orcpt: 'rfc822;list@example.com' })])));
    const groups = statusGroups(dsn);
    assert.equal(groups[0]![0], 'Original-Envelope-Id: env-42');
    assert.equal(groups[1]![0], 'Original-Recipient: rfc822; list@example.com');
    assert.match(dsn, /Content-Type: text\/rfc822-headers\r\n/);
    assert.match(dsn, /Subject: Quarterly report/);
    assert.ok(!dsn.includes('The numbers are up.'));
  });

  it('an original over the return limit comes back as its header, and the report says why', () => {
    const big = Buffer.concat([ORIGINAL, Buffer.from('x'.repeat(200) + '\r\n')]);
    const dsn = text(buildDsn(input({ original: big, returnLimit: 100 })));
    assert.match(dsn, /Content-Type: text\/rfc822-headers\r\n/);
    assert.ok(!dsn.includes('x'.repeat(200)));
    assert.match(unfold(dsn), /too large|too big|larger/i);
  });

  it('delay: "delayed" with Will-Retry-Until, and the header only (RFC 3461 4.3: RET applies to failures)', () => {
    const dsn = text(buildDsn(input({ kind: 'delay', ret: 'FULL' }, [{ ...failed('bob@remote.test'), action: 'delayed', status: '4.4.1', diagnostic: 'connect to mx.remote.test: Connection refused', diagnosticType: 'X-Petrel', willRetryUntil: new Date('2026-12-07T09:58:00Z') }])));
    assert.match(dsn, /Subject: Delayed Mail \(still being retried\)/);
    const r = statusGroups(dsn)[1]!;
    assert.ok(r.includes('Action: delayed'));
    assert.ok(r.includes('Will-Retry-Until: Mon, 7 Dec 2026 09:58:00 +0000'));
    assert.ok(r.includes('Diagnostic-Code: X-Petrel; connect to mx.remote.test: Connection refused'));
    assert.match(dsn, /Content-Type: text\/rfc822-headers\r\n/);
  });

  it('success: "relayed" for a next hop without DSN', () => {
    const dsn = text(buildDsn(input({ kind: 'success' }, [{ finalRecipient: 'bob@remote.test', orcpt: null, action: 'relayed', status: '2.0.0', remoteMta: 'mx.remote.test', diagnostic: '250 2.0.0 Ok: queued as ABC', lastAttempt: AT }])));
    assert.match(dsn, /Subject: Successful Mail Delivery Report/);
    assert.ok(statusGroups(dsn)[1]!.includes('Action: relayed'));
    assert.ok(!statusGroups(dsn)[1]!.some((f) => f.startsWith('Will-Retry-Until')));
  });

  it('UTF-8 addresses make it a global report (RFC 6533): message/global-delivery-status, utf-8 address types', () => {
    const original = Buffer.from('From: jörg@bücher.example\r\nSubject: grüße\r\n\r\nhallo\r\n');
    const built = buildDsn(input({ sender: 'jörg@bücher.example', original }, [failed('zoë@remote.test', { orcpt: 'utf-8;zoë@remote.test' })]));
    const dsn = text(built);
    assert.match(dsn, /Content-Type: message\/global-delivery-status\r\n/);
    assert.match(dsn, /Content-Type: message\/global\r\n/);
    assert.match(dsn, /Final-Recipient: utf-8; zoë@remote\.test/);
    assert.match(dsn, /Original-Recipient: utf-8; zoë@remote\.test/);
    assert.deepEqual(dsnTransport(built), { body: '8bitmime', smtpUtf8: true });
    assert.deepEqual(dsnTransport(buildDsn(input())), { body: '7bit', smtpUtf8: false });
  });
});

describe('DSN: hostile input cannot break the report', () => {
  it('a remote reply with CR/LF cannot add a field or a part', () => {
    const evil = '550 no\r\nAction: delivered\r\n\r\n--B0UNDARY.1/mx.example.com\r\nContent-Type: text/html\r\n\r\n<script>';
    const dsn = text(buildDsn(input({}, [failed('bob@remote.test', { diagnostic: evil })])));
    const groups = statusGroups(dsn);
    assert.equal(groups.length, 2, 'still one per-message and one per-recipient group');
    assert.equal(groups[1]!.filter((f) => f.startsWith('Action:')).length, 1);
    assert.ok(groups[1]!.includes('Action: failed'));
    assert.equal(indexMessage(buildDsn(input({}, [failed('bob@remote.test', { diagnostic: evil })]))).root.children?.length, 3, 'three parts, not four');
  });

  it('an original that contains the boundary gets another boundary', () => {
    const original = Buffer.from('Subject: sneaky\r\n\r\n--B0UNDARY.1/mx.example.com--\r\n');
    const dsn = text(buildDsn(input({ original })));
    const boundary = /boundary="([^"]+)"/.exec(unfold(dsn))![1]!;
    assert.notEqual(boundary, 'B0UNDARY.1/mx.example.com');
    assert.equal(dsn.split(`--${boundary}\r\n`).length - 1, 3);
    assert.ok(dsn.includes('--B0UNDARY.1/mx.example.com--'), 'the original is returned unchanged');
  });

  it('an original without the blank line after its header, and one with bare LF, still return well-formed', () => {
    for (const original of [Buffer.from('Subject: no body\r\nX-A: b'), Buffer.from('Subject: lf only\n\nbody\n')]) {
      const built = buildDsn(input({ original }));
      const idx = indexMessage(built);
      assert.equal(idx.root.children?.length, 3);
      assert.doesNotMatch(built.toString('latin1').replace(/\r\n/g, ''), /[\r\n]/, 'only CRLF line ends');
    }
  });

  it('refuses what would make no report: no recipients, the null sender', () => {
    assert.throws(() => buildDsn(input({}, [])), TypeError);
    assert.throws(() => buildDsn(input({ sender: '' })), TypeError);
  });
});

describe('DSN: read back by independent parsers', () => {
  it("Petrel's MIME indexer sees multipart/report with the report type and three parts", () => {
    const idx = indexMessage(buildDsn(input()));
    assert.equal(idx.root.type, 'multipart');
    assert.equal(idx.root.subtype, 'report');
    assert.ok(idx.root.params.some(([k, v]) => k === 'report-type' && v === 'delivery-status'));
    assert.deepEqual(idx.root.children!.map((p) => `${p.type}/${p.subtype}`), ['text/plain', 'message/delivery-status', 'message/rfc822']);
    assert.equal(idx.root.children![2]!.message?.envelope.subject, 'Quarterly report', 'the returned message is read as a message');
  });

  it("Python's email package parses the parts, the status groups and the returned message", async (t) => {
    if (!requireTools(t, 'python3')) return;
    const view = await pythonView(buildDsn(input({ envid: 'e1' }, [failed('bob@remote.test'), failed('carol@remote.test')])));
    // walk() also yields each field group of the status part (as text/plain) and the returned message's body.
    assert.deepEqual(view.types.slice(0, 3), ['multipart/report', 'text/plain', 'message/delivery-status']);
    assert.ok(view.types.includes('message/rfc822'));
    assert.equal(view.groups[0]!['Original-Envelope-Id'], 'e1');
    assert.equal(view.groups[1]!['Final-Recipient'], 'rfc822; bob@remote.test');
    assert.equal(view.groups[2]!['Action'], 'failed');
    assert.equal(view.returned, 'Quarterly report');
  });
});

describe('DSN helpers', () => {
  const notify: [string[] | null, 'failure' | 'delay' | 'success', boolean][] = [
    [null, 'failure', true], [null, 'delay', true], [null, 'success', false],
    [['NEVER'], 'failure', false], [['SUCCESS'], 'success', true], [['SUCCESS'], 'failure', false],
    [['FAILURE', 'DELAY'], 'delay', true], [['failure'], 'failure', true], [[], 'failure', true],
  ];
  for (const [n, kind, want] of notify) it(`NOTIFY=${n === null ? '(none)' : n.join(',') || '(empty)'} asks for a ${kind} report: ${want}`, () => assert.equal(wantsDsn(n, kind), want));

  const codes: [string, string | null][] = [
    ['550 5.1.1 <x@y>: Recipient address rejected', '5.1.1'],
    ['452-4.2.2 first line\r\n452 4.2.2 Mailbox full', '4.2.2'],
    ['550 4.1.1 the basic code wins the class', '5.1.1'],
    ['451 try again later', '4.0.0'],
    ['250 2.0.0 Ok', '2.0.0'],
    ['550 5.01.001 leading zeros', '5.1.1'],
    ['not a reply', null],
  ];
  for (const [reply, want] of codes) it(`enhanced status of ${JSON.stringify(reply.slice(0, 30))}: ${want}`, () => assert.equal(parseEnhancedStatus(reply), want));
});
