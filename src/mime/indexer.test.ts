/*
 * Golden tests for the MIME indexer: literal messages, expected structure,
 * and every offset checked by slicing the message and comparing the text.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findPart, headerBlock, indexMessage, type MimePart } from './index.js';

/** Lines joined with CRLF. */
const crlf = (...lines: string[]): string => lines.join('\r\n');

interface Shape {
  type: string;
  header: string;
  body: string;
  lines: number;
  children?: Shape[];
  message?: Shape;
}

function shape(buf: Buffer, part: MimePart): Shape {
  const out: Shape = {
    type: `${part.type}/${part.subtype}`,
    header: headerBlock(buf, part).toString('latin1'),
    body: buf.toString('latin1', part.bodyStart, part.bodyEnd),
    lines: part.bodyLines,
  };
  if (part.children !== undefined) out.children = part.children.map((child) => shape(buf, child));
  if (part.message !== undefined) out.message = shape(buf, part.message.root);
  return out;
}

interface Case {
  name: string;
  message: string;
  expect: Shape;
  partCount: number;
}

const cases: Case[] = [
  {
    name: 'simple text message',
    message: crlf('From: a@example.com', 'Subject: hi', '', 'Hello', 'World', ''),
    partCount: 1,
    expect: {
      type: 'text/plain',
      header: 'From: a@example.com\r\nSubject: hi\r\n\r\n',
      body: 'Hello\r\nWorld\r\n',
      lines: 2,
    },
  },
  {
    name: 'message without a final line break, and one without a body',
    message: crlf('Subject: x', '', 'last line'),
    partCount: 1,
    expect: { type: 'text/plain', header: 'Subject: x\r\n\r\n', body: 'last line', lines: 1 },
  },
  {
    name: 'multipart/alternative with preamble and epilogue',
    message: crlf(
      'Content-Type: multipart/alternative; boundary="XX"',
      '',
      'preamble',
      '--XX',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'plain',
      '--XX',
      'Content-Type: text/html',
      '',
      '<p>html</p>',
      '',
      '--XX--',
      'epilogue',
      '',
    ),
    partCount: 3,
    expect: {
      type: 'multipart/alternative',
      header: 'Content-Type: multipart/alternative; boundary="XX"\r\n\r\n',
      body: crlf('preamble', '--XX', 'Content-Type: text/plain; charset=utf-8', '', 'plain', '--XX', 'Content-Type: text/html', '', '<p>html</p>', '', '--XX--', 'epilogue', ''),
      lines: 12,
      children: [
        { type: 'text/plain', header: 'Content-Type: text/plain; charset=utf-8\r\n\r\n', body: 'plain', lines: 1 },
        { type: 'text/html', header: 'Content-Type: text/html\r\n\r\n', body: '<p>html</p>\r\n', lines: 1 },
      ],
    },
  },
  {
    name: 'nested multipart inside multipart',
    message: crlf(
      'Content-Type: multipart/mixed; boundary=outer',
      '',
      '--outer',
      'Content-Type: multipart/alternative; boundary=inner',
      '',
      '--inner',
      '',
      'text',
      '--inner',
      'Content-Type: text/html',
      '',
      'html',
      '--inner--',
      '--outer',
      'Content-Type: image/png',
      'Content-Transfer-Encoding: base64',
      '',
      'iVBORw0KGgo=',
      '--outer--',
    ),
    partCount: 5,
    expect: {
      type: 'multipart/mixed',
      header: 'Content-Type: multipart/mixed; boundary=outer\r\n\r\n',
      body: crlf('--outer', 'Content-Type: multipart/alternative; boundary=inner', '', '--inner', '', 'text', '--inner', 'Content-Type: text/html', '', 'html', '--inner--', '--outer', 'Content-Type: image/png', 'Content-Transfer-Encoding: base64', '', 'iVBORw0KGgo=', '--outer--'),
      lines: 17,
      children: [
        {
          type: 'multipart/alternative',
          header: 'Content-Type: multipart/alternative; boundary=inner\r\n\r\n',
          body: crlf('--inner', '', 'text', '--inner', 'Content-Type: text/html', '', 'html', '--inner--'),
          lines: 8,
          children: [
            { type: 'text/plain', header: '\r\n', body: 'text', lines: 1 },
            { type: 'text/html', header: 'Content-Type: text/html\r\n\r\n', body: 'html', lines: 1 },
          ],
        },
        {
          type: 'image/png',
          header: 'Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n',
          body: 'iVBORw0KGgo=',
          lines: 1,
        },
      ],
    },
  },
  {
    name: 'message/rfc822 attachment with its own multipart',
    message: crlf(
      'Subject: outer',
      'Content-Type: multipart/mixed; boundary=b1',
      '',
      '--b1',
      '',
      'see attached',
      '--b1',
      'Content-Type: message/rfc822',
      '',
      'Subject: inner',
      'From: Inner <in@example.org>',
      'Content-Type: multipart/alternative; boundary=b2',
      '',
      '--b2',
      '',
      'inner text',
      '--b2',
      'Content-Type: text/html',
      '',
      '<b>inner</b>',
      '--b2--',
      '',
      '--b1--',
      '',
    ),
    partCount: 6,
    expect: {
      type: 'multipart/mixed',
      header: 'Subject: outer\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n',
      body: crlf('--b1', '', 'see attached', '--b1', 'Content-Type: message/rfc822', '', 'Subject: inner', 'From: Inner <in@example.org>', 'Content-Type: multipart/alternative; boundary=b2', '', '--b2', '', 'inner text', '--b2', 'Content-Type: text/html', '', '<b>inner</b>', '--b2--', '', '--b1--', ''),
      lines: 20,
      children: [
        { type: 'text/plain', header: '\r\n', body: 'see attached', lines: 1 },
        {
          type: 'message/rfc822',
          header: 'Content-Type: message/rfc822\r\n\r\n',
          body: crlf('Subject: inner', 'From: Inner <in@example.org>', 'Content-Type: multipart/alternative; boundary=b2', '', '--b2', '', 'inner text', '--b2', 'Content-Type: text/html', '', '<b>inner</b>', '--b2--', ''),
          lines: 12,
          message: {
            type: 'multipart/alternative',
            header: 'Subject: inner\r\nFrom: Inner <in@example.org>\r\nContent-Type: multipart/alternative; boundary=b2\r\n\r\n',
            body: crlf('--b2', '', 'inner text', '--b2', 'Content-Type: text/html', '', '<b>inner</b>', '--b2--', ''),
            lines: 8,
            children: [
              { type: 'text/plain', header: '\r\n', body: 'inner text', lines: 1 },
              { type: 'text/html', header: 'Content-Type: text/html\r\n\r\n', body: '<b>inner</b>', lines: 1 },
            ],
          },
        },
      ],
    },
  },
  {
    name: 'multipart/digest: parts default to message/rfc822',
    message: crlf(
      'Content-Type: multipart/digest; boundary=d',
      '',
      '--d',
      '',
      'Subject: one',
      '',
      'first',
      '--d',
      'Content-Type: text/plain',
      '',
      'not a message',
      '--d--',
    ),
    partCount: 4,
    expect: {
      type: 'multipart/digest',
      header: 'Content-Type: multipart/digest; boundary=d\r\n\r\n',
      body: crlf('--d', '', 'Subject: one', '', 'first', '--d', 'Content-Type: text/plain', '', 'not a message', '--d--'),
      lines: 10,
      children: [
        {
          type: 'message/rfc822',
          header: '\r\n',
          body: 'Subject: one\r\n\r\nfirst',
          lines: 3,
          message: { type: 'text/plain', header: 'Subject: one\r\n\r\n', body: 'first', lines: 1 },
        },
        { type: 'text/plain', header: 'Content-Type: text/plain\r\n\r\n', body: 'not a message', lines: 1 },
      ],
    },
  },
  {
    name: 'missing closing boundaries end at the parent boundary and at the end of the message',
    message: crlf(
      'Content-Type: multipart/mixed; boundary=out',
      '',
      '--out',
      'Content-Type: multipart/alternative; boundary=in',
      '',
      '--in',
      '',
      'unclosed inner',
      '--out',
      '',
      'last part, no close',
      '',
    ),
    partCount: 4,
    expect: {
      type: 'multipart/mixed',
      header: 'Content-Type: multipart/mixed; boundary=out\r\n\r\n',
      body: crlf('--out', 'Content-Type: multipart/alternative; boundary=in', '', '--in', '', 'unclosed inner', '--out', '', 'last part, no close', ''),
      lines: 9,
      children: [
        {
          type: 'multipart/alternative',
          header: 'Content-Type: multipart/alternative; boundary=in\r\n\r\n',
          body: '--in\r\n\r\nunclosed inner',
          lines: 3,
          children: [{ type: 'text/plain', header: '\r\n', body: 'unclosed inner', lines: 1 }],
        },
        { type: 'text/plain', header: '\r\n', body: 'last part, no close\r\n', lines: 1 },
      ],
    },
  },
  {
    name: 'bare LF line endings',
    message: ['Content-Type: multipart/mixed; boundary=lf', '', '--lf', 'Content-Type: text/plain', '', 'one', 'two', '--lf', '', 'three', '--lf--', ''].join('\n'),
    partCount: 3,
    expect: {
      type: 'multipart/mixed',
      header: 'Content-Type: multipart/mixed; boundary=lf\n\n',
      body: '--lf\nContent-Type: text/plain\n\none\ntwo\n--lf\n\nthree\n--lf--\n',
      lines: 9,
      children: [
        { type: 'text/plain', header: 'Content-Type: text/plain\n\n', body: 'one\ntwo', lines: 2 },
        { type: 'text/plain', header: '\n', body: 'three', lines: 1 },
      ],
    },
  },
  {
    name: 'boundary prefix trickery: boundaries that are prefixes of each other, look-alike lines',
    message: crlf(
      'Content-Type: multipart/mixed; boundary=ab',
      '',
      '--ab',
      'Content-Type: multipart/alternative; boundary=abc',
      '',
      '--abc',
      '',
      '--ab-not-a-boundary',
      '--abcd',
      '--abc \t',
      '',
      'second inner',
      '--abc--',
      '--ab',
      'Content-Type: multipart/related; boundary=a',
      '',
      '--a',
      '',
      'innermost',
      '--ab--',
    ),
    partCount: 6,
    expect: {
      type: 'multipart/mixed',
      header: 'Content-Type: multipart/mixed; boundary=ab\r\n\r\n',
      body: crlf('--ab', 'Content-Type: multipart/alternative; boundary=abc', '', '--abc', '', '--ab-not-a-boundary', '--abcd', '--abc \t', '', 'second inner', '--abc--', '--ab', 'Content-Type: multipart/related; boundary=a', '', '--a', '', 'innermost', '--ab--'),
      lines: 18,
      children: [
        {
          type: 'multipart/alternative',
          header: 'Content-Type: multipart/alternative; boundary=abc\r\n\r\n',
          body: crlf('--abc', '', '--ab-not-a-boundary', '--abcd', '--abc \t', '', 'second inner', '--abc--'),
          lines: 8,
          children: [
            { type: 'text/plain', header: '\r\n', body: '--ab-not-a-boundary\r\n--abcd', lines: 2 },
            { type: 'text/plain', header: '\r\n', body: 'second inner', lines: 1 },
          ],
        },
        {
          type: 'multipart/related',
          header: 'Content-Type: multipart/related; boundary=a\r\n\r\n',
          body: '--a\r\n\r\ninnermost',
          lines: 3,
          children: [{ type: 'text/plain', header: '\r\n', body: 'innermost', lines: 1 }],
        },
      ],
    },
  },
  {
    name: 'folded headers, comments and quoting in Content-Type',
    message: crlf(
      'Content-Type: multipart/mixed;',
      '\tboundary="with space (and parens)"; (comment)',
      ' charset=ignored',
      '',
      '--with space (and parens)',
      '',
      'body',
      '--with space (and parens)--',
    ),
    partCount: 2,
    expect: {
      type: 'multipart/mixed',
      header: 'Content-Type: multipart/mixed;\r\n\tboundary="with space (and parens)"; (comment)\r\n charset=ignored\r\n\r\n',
      body: crlf('--with space (and parens)', '', 'body', '--with space (and parens)--'),
      lines: 4,
      children: [{ type: 'text/plain', header: '\r\n', body: 'body', lines: 1 }],
    },
  },
  {
    name: 'a multipart whose boundary never occurs has no parts',
    message: crlf('Content-Type: multipart/mixed; boundary=zz', '', 'only a preamble', ''),
    partCount: 1,
    expect: {
      type: 'multipart/mixed',
      header: 'Content-Type: multipart/mixed; boundary=zz\r\n\r\n',
      body: 'only a preamble\r\n',
      lines: 1,
      children: [],
    },
  },
  {
    name: 'a multipart without a boundary parameter is a leaf',
    message: crlf('Content-Type: multipart/mixed', '', '--x', 'body', ''),
    partCount: 1,
    expect: { type: 'multipart/mixed', header: 'Content-Type: multipart/mixed\r\n\r\n', body: '--x\r\nbody\r\n', lines: 2 },
  },
  {
    name: 'a part whose header block runs into the boundary has an empty body',
    message: crlf('Content-Type: multipart/mixed; boundary=q', '', '--q', 'Content-Type: text/html', '--q', '--q--'),
    partCount: 3,
    expect: {
      type: 'multipart/mixed',
      header: 'Content-Type: multipart/mixed; boundary=q\r\n\r\n',
      body: '--q\r\nContent-Type: text/html\r\n--q\r\n--q--',
      lines: 4,
      children: [
        { type: 'text/html', header: 'Content-Type: text/html', body: '', lines: 0 },
        { type: 'text/plain', header: '', body: '', lines: 0 },
      ],
    },
  },
  {
    name: 'garbage gives a text/plain leaf',
    message: '\u0000\u00ff--\r\n\r\n\r\n::::',
    partCount: 1,
    expect: { type: 'text/plain', header: '\u0000\u00ff--\r\n\r\n', body: '\r\n::::', lines: 2 },
  },
  {
    name: 'empty message',
    message: '',
    partCount: 1,
    expect: { type: 'text/plain', header: '', body: '', lines: 0 },
  },
];

describe('indexMessage: structure and offsets', () => {
  for (const c of cases) {
    it(c.name, () => {
      const buf = Buffer.from(c.message, 'latin1');
      const index = indexMessage(buf);
      assert.equal(index.v, 1);
      assert.equal(index.size, buf.length);
      assert.equal(index.truncated, false);
      assert.equal(index.partCount, c.partCount);
      assert.deepEqual(shape(buf, index.root), c.expect);
      // the index survives being stored as JSON
      assert.deepEqual(JSON.parse(JSON.stringify(index)), index);
    });
  }
});

describe('indexMessage: content fields', () => {
  it('reads an attachment with RFC 2231 filename, disposition, id, description, language, location', () => {
    const buf = Buffer.from(
      crlf(
        'Content-Type: multipart/mixed; boundary="=_b"',
        '',
        '--=_b',
        'Content-Type: text/plain; charset="ISO-8859-1"; format=flowed',
        'Content-Transfer-Encoding: Quoted-Printable',
        'Content-Language: en, (comment) de-CH',
        '',
        'caf=E9',
        '--=_b',
        'Content-Type: application/pdf;',
        " name*=iso-8859-1'fr'caf%E9.pdf",
        'Content-Transfer-Encoding: base64',
        'Content-ID: <part2@example.com>',
        'Content-Description: The =?UTF-8?Q?report?=',
        'Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==',
        'Content-Location: http://example.com/report.pdf',
        "Content-Disposition: attachment; filename*0*=UTF-8''na%C3%AFve%20;",
        ' filename*1="report.pdf"; size=3',
        '',
        'JVBERg==',
        '--=_b--',
      ),
    );
    const index = indexMessage(buf);
    const [text, pdf] = index.root.children ?? [];
    assert.ok(text && pdf);
    assert.deepEqual(text.params, [['charset', 'ISO-8859-1'], ['format', 'flowed']]);
    assert.equal(text.encoding, 'quoted-printable');
    assert.deepEqual(text.language, ['en', 'de-CH']);
    assert.equal(text.disposition, null);
    assert.equal(text.id, null);
    assert.deepEqual(
      { ...pdf, headerStart: 0, bodyStart: 0, bodyEnd: 0 },
      {
        headerStart: 0,
        bodyStart: 0,
        bodyEnd: 0,
        bodyLines: 1,
        binarySize: 4,
        type: 'application',
        subtype: 'pdf',
        params: [['name', 'café.pdf']],
        id: '<part2@example.com>',
        description: 'The =?UTF-8?Q?report?=',
        encoding: 'base64',
        md5: 'Q2hlY2sgSW50ZWdyaXR5IQ==',
        disposition: { type: 'attachment', params: [['filename', 'naïve report.pdf'], ['size', '3']] },
        language: null,
        location: 'http://example.com/report.pdf',
      },
    );
    assert.equal(buf.toString('latin1', pdf.bodyStart, pdf.bodyEnd), 'JVBERg==');
  });

  it('defaults: no Content-Type is text/plain; charset=us-ascii, an invalid one too', () => {
    for (const header of ['', 'Content-Type: text\r\n', 'Content-Type: /plain\r\n', 'Content-Type: te xt/plain\r\n']) {
      const index = indexMessage(Buffer.from(`${header}\r\nbody`));
      assert.equal(index.root.type, 'text');
      assert.equal(index.root.subtype, 'plain');
      assert.deepEqual(index.root.params, [['charset', 'us-ascii']]);
      assert.equal(index.root.encoding, null);
    }
  });

  it('type and subtype are lower-cased; a message/rfc822 in base64 is not descended into', () => {
    const buf = Buffer.from(crlf('Content-Type: Message/RFC822', 'Content-Transfer-Encoding: BASE64', '', 'U3ViamVjdDogeA0KDQp4', ''));
    const index = indexMessage(buf);
    assert.equal(index.root.type, 'message');
    assert.equal(index.root.subtype, 'rfc822');
    assert.equal(index.root.message, undefined);
    assert.equal(index.partCount, 1);
  });

  it('message/global is an encapsulated message too', () => {
    const buf = Buffer.from(crlf('Content-Type: message/global', '', 'Subject: =?UTF-8?Q?caf=C3=A9?=', '', 'x'));
    const index = indexMessage(buf);
    assert.equal(index.root.message?.envelope.subject, '=?UTF-8?Q?caf=C3=A9?=');
    assert.equal(index.root.message?.root.bodyStart, buf.length - 1);
  });
});

describe('indexMessage: envelope and summary', () => {
  const message = crlf(
    'Received: from x by y; Tue, 1 Jul 2003 10:52:40 +0200',
    'Date: Tue, 1 Jul 2003 10:52:37 +0200 (CEST)',
    'From: "Public, John Q." (the boss) <john.q.public@example.com>',
    'From: second@example.com',
    'To: Team: alice@example.com, "Bob B." <bob@example.com>;, undisclosed-recipients:;',
    'Cc: <@relay.example,@other.example:carol@example.net>, dave (no host)',
    'Subject: =?UTF-8?B?SGVsbG8g?= =?UTF-8?Q?w=C3=B6rld?=',
    '  and more',
    'Message-ID: <id-1@example.com> (comment)',
    'In-Reply-To: <parent@example.com>',
    '',
    'body',
  );
  const index = indexMessage(Buffer.from(message));

  it('builds the ENVELOPE from raw values, sender and reply-to defaulting to from', () => {
    const john = { name: 'Public, John Q.', adl: null, mailbox: 'john.q.public', host: 'example.com' };
    assert.deepEqual(index.envelope, {
      date: 'Tue, 1 Jul 2003 10:52:37 +0200 (CEST)',
      subject: '=?UTF-8?B?SGVsbG8g?= =?UTF-8?Q?w=C3=B6rld?=  and more',
      from: [john],
      sender: [john],
      replyTo: [john],
      to: [
        { name: null, adl: null, mailbox: 'Team', host: null },
        { name: null, adl: null, mailbox: 'alice', host: 'example.com' },
        { name: 'Bob B.', adl: null, mailbox: 'bob', host: 'example.com' },
        { name: null, adl: null, mailbox: null, host: null },
        { name: null, adl: null, mailbox: 'undisclosed-recipients', host: null },
        { name: null, adl: null, mailbox: null, host: null },
      ],
      cc: [
        { name: null, adl: '@relay.example,@other.example', mailbox: 'carol', host: 'example.net' },
        { name: null, adl: null, mailbox: 'dave', host: 'MISSING_DOMAIN' },
      ],
      bcc: null,
      inReplyTo: '<parent@example.com>',
      messageId: '<id-1@example.com> (comment)',
    });
  });

  it('summarises: decoded subject, first From address, From count, date in ms, message id', () => {
    assert.deepEqual(index.summary, {
      messageId: '<id-1@example.com>',
      subject: 'Hello wörld  and more',
      from: 'john.q.public@example.com',
      date: Date.UTC(2003, 6, 1, 8, 52, 37),
      fromCount: 2,
    });
  });

  it('a message without headers has an empty envelope and summary', () => {
    const empty = indexMessage(Buffer.from('\r\nbody'));
    assert.deepEqual(empty.envelope, {
      date: null, subject: null, from: null, sender: null, replyTo: null,
      to: null, cc: null, bcc: null, inReplyTo: null, messageId: null,
    });
    assert.deepEqual(empty.summary, { messageId: null, subject: null, from: null, date: null, fromCount: 0 });
  });

  const subjects: [string, string][] = [
    ['=?UTF-8?B?w6lsw6h2ZQ==?=', 'élève'],
    ['=?utf-8?q?=C3=A9l=C3=A8ve_ok?=', 'élève ok'],
    ['=?ISO-8859-1?Q?caf=E9?= au lait', 'café au lait'],
    ['=?iso-8859-1?b?Y2Fm6Q==?=', 'café'],
    ['=?UTF-8?Q?a?= =?UTF-8?Q?b?=', 'ab'],
    ['plain =?bogus', 'plain =?bogus'],
    ['raw UTF-8 ünïcödé', 'raw UTF-8 ünïcödé'],
  ];
  for (const [raw, decoded] of subjects) {
    it(`decodes the subject ${JSON.stringify(raw)}`, () => {
      const i = indexMessage(Buffer.from(`Subject: ${raw}\r\n\r\n`, 'utf8'));
      assert.equal(i.summary.subject, decoded);
      assert.equal(i.envelope.subject, raw);
    });
  }
});

describe('findPart: IMAP section numbers', () => {
  const buf = Buffer.from(
    crlf(
      'Content-Type: multipart/mixed; boundary=b1',
      '',
      '--b1',
      '',
      'one',
      '--b1',
      'Content-Type: message/rfc822',
      '',
      'Content-Type: multipart/alternative; boundary=b2',
      '',
      '--b2',
      '',
      'two.one',
      '--b2',
      'Content-Type: message/rfc822',
      '',
      'Subject: deep',
      '',
      'two.two.one',
      '--b2--',
      '--b1--',
    ),
  );
  const index = indexMessage(buf);
  const body = (section: number[]) => {
    const part = findPart(index.root, section);
    return part === undefined ? undefined : buf.toString('latin1', part.bodyStart, part.bodyEnd);
  };

  it('numbers parts, descending into encapsulated messages', () => {
    assert.equal(findPart(index.root, []), index.root);
    assert.equal(body([1]), 'one');
    assert.equal(findPart(index.root, [2])?.type, 'message');
    assert.equal(findPart(index.root, [2])?.message?.root.subtype, 'alternative');
    assert.equal(body([2, 1]), 'two.one');
    assert.equal(findPart(index.root, [2, 2])?.subtype, 'rfc822');
    assert.equal(body([2, 2, 1]), 'two.two.one');
  });

  it('gives undefined for numbers that name no part', () => {
    for (const section of [[0], [3], [1, 1], [2, 3], [2, 2, 2], [2, 2, 1, 1], [1.5], [-1]]) {
      assert.equal(findPart(index.root, section), undefined, JSON.stringify(section));
    }
  });

  it('part 1 of a message that is not multipart is its body', () => {
    const single = indexMessage(Buffer.from('Subject: x\r\n\r\nhello'));
    assert.equal(findPart(single.root, [1]), single.root);
    assert.equal(findPart(single.root, [2]), undefined);
    assert.equal(findPart(single.root, [1, 1]), undefined);
  });
});
