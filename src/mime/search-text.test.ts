/*
 * Table tests of the search text: literal messages in, the decoded text
 * and keys SEARCH and SORT read out; and the caps that bound the work.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { indexMessage } from './indexer.js';
import { SEARCH_PART_MAX_BYTES, SEARCH_TEXT_MAX_CHARS } from './limits.js';
import { searchDocument, sentDayOf } from './search-text.js';

const msg = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'latin1');
const doc = (m: Buffer) => searchDocument(m, indexMessage(m));

describe('searchDocument', () => {
  const cases: { name: string; message: Buffer; body?: string[]; notBody?: string[]; header?: string[]; subject?: string; from?: string }[] = [
    {
      name: 'plain text, header fields decoded from RFC 2047',
      message: msg(['From: =?iso-8859-1?q?J=F6rg?= <j@example.org>', 'Subject: =?utf-8?b?w4RwZmVs?= und Birnen', '', 'Just text.', '']),
      body: ['Just text.'],
      header: ['From: Jörg <j@example.org>', 'Subject: Äpfel und Birnen'],
      subject: 'Äpfel und Birnen',
      from: 'Jörg <j@example.org>',
    },
    {
      name: 'quoted-printable in a legacy charset',
      message: msg(['Content-Type: text/plain; charset=windows-1252', 'Content-Transfer-Encoding: quoted-printable', '', 'Price: 5=80, na=EFve caf=E9=', ' soft break', '']),
      body: ['Price: 5€, naïve café soft break'],
    },
    {
      name: 'base64 UTF-8',
      message: msg(['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64', '', Buffer.from('Grüße aus Köln').toString('base64'), '']),
      body: ['Grüße aus Köln'],
    },
    {
      name: 'HTML reduced to its text, script and entities handled',
      message: msg(['Content-Type: text/html', '', '<p>One <i>two</i></p><script>var secret = 1;</script><div>three &amp; four</div>', '']),
      body: ['One two three & four'],
      notBody: ['secret', '<p>', 'script'],
    },
    {
      name: 'multipart: text parts, attachment names, binary skipped, attached message headers',
      message: msg([
        'Content-Type: multipart/mixed; boundary=XX',
        '',
        '--XX',
        'Content-Type: text/plain',
        '',
        'cover note',
        '--XX',
        'Content-Type: image/png; name="photo.png"',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('PNGDATA-secretpixels').toString('base64'),
        '--XX',
        'Content-Type: application/octet-stream',
        'Content-Disposition: attachment; filename*=utf-8\'\'r%C3%A9sum%C3%A9.doc',
        '',
        'binary-ish',
        '--XX',
        'Content-Type: message/rfc822',
        '',
        'Subject: inner subject line',
        '',
        'inner body words',
        '--XX--',
        '',
      ]),
      body: ['cover note', 'photo.png', 'résumé.doc', 'Subject: inner subject line', 'inner body words'],
      notBody: ['secretpixels', 'binary-ish'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = doc(c.message);
      for (const s of c.body ?? []) assert.ok(d.body.includes(s), `body lacks ${JSON.stringify(s)}: ${JSON.stringify(d.body)}`);
      for (const s of c.notBody ?? []) assert.ok(!d.body.includes(s), `body has ${JSON.stringify(s)}`);
      for (const s of c.header ?? []) assert.ok(d.header.includes(s), `header lacks ${JSON.stringify(s)}: ${JSON.stringify(d.header)}`);
      if (c.subject !== undefined) assert.equal(d.subject, c.subject);
      if (c.from !== undefined) assert.equal(d.from, c.from);
    });
  }

  it('keys for SORT and THREAD', () => {
    const d = doc(msg([
      'From: "Z" <zed@example.org>, amy@example.org',
      'To: undisclosed-recipients:;, Bob <bob@example.com>',
      'Date: Tue, 3 Mar 2026 23:30:00 -0800',
      'Message-ID: <id1@example.org>',
      'In-Reply-To: <id0@example.org>',
      'References: <r1@x> <id0@example.org>',
      '',
      '',
    ]));
    assert.equal(d.fromMailbox, 'zed');
    assert.equal(d.toMailbox, 'bob');
    assert.equal(d.ccMailbox, null);
    assert.equal(d.sentDate, Date.UTC(2026, 2, 4, 7, 30));
    assert.equal(d.sentDay, 20260303, 'the day as the sender wrote it');
    assert.equal(d.messageId, '<id1@example.org>');
    assert.equal(d.references, '<r1@x> <id0@example.org>');
    assert.equal(d.inReplyTo, '<id0@example.org>');
  });

  it('sentDayOf reads the written day, with two-digit years and a UTC fallback', () => {
    assert.equal(sentDayOf('1 Jan 99 00:00 +0000', null), 19990101);
    assert.equal(sentDayOf('Mon, 31 Dec 2029 23:59:59 -1200', null), 20291231);
    assert.equal(sentDayOf('garbage', Date.UTC(2026, 0, 2, 3)), 20260102);
    assert.equal(sentDayOf(null, null), null);
  });

  it('caps the text kept and the bytes read per part (hostile sizes)', () => {
    const big = 'word '.repeat(Math.ceil((SEARCH_PART_MAX_BYTES + 1000) / 5));
    const m = msg(['Content-Type: multipart/mixed; boundary=B', '', ...Array.from({ length: 3 }, () => ['--B', 'Content-Type: text/plain', '', big]).flat(), '--B--', '']);
    const started = Date.now();
    const d = doc(m);
    assert.ok(d.body.length <= SEARCH_TEXT_MAX_CHARS + 1, `kept ${d.body.length}`);
    assert.ok(Date.now() - started < 3000);
  });
});
