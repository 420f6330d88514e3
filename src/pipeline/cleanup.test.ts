import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkLineEndings, countHeader, headerLength, headerNames, normalizeLineEndings, receivedHeader, rfc5322Date } from './cleanup.js';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('line endings (SMTP smuggling defence)', () => {
  const table: [string, string, 'ok' | 'bare-lf' | 'bare-cr'][] = [
    ['clean', 'Subject: a\r\n\r\nbody\r\n', 'ok'],
    ['smuggled command after <LF>.<LF>', 'Subject: a\r\n\r\nbody\n.\nMAIL FROM:<x@evil>\r\n', 'bare-lf'],
    ['<LF>.<CR><LF>', 'Subject: a\r\n\r\nbody\n.\r\nRCPT TO:<y>\r\n', 'bare-lf'],
    ['<CR><LF>.<LF>', 'Subject: a\r\n\r\nbody\r\n.\nDATA\r\n', 'bare-lf'],
    ['<CR>.<CR>', 'Subject: a\r\n\r\nbody\r.\rQUIT\r\n', 'bare-cr'],
    ['bare LF header', 'Subject: a\nFrom: b\r\n\r\nx\r\n', 'bare-lf'],
  ];
  for (const [name, input, expected] of table) {
    it(`strict: ${name}`, () => {
      const r = checkLineEndings(b(input), 'strict');
      assert.equal(r.ok ? 'ok' : r.problem, expected);
    });
  }

  it('normalises bare CR and LF to CRLF for trusted clients', () => {
    assert.equal(normalizeLineEndings(b('a\nb\rc\r\nd')).toString(), 'a\r\nb\r\nc\r\nd\r\n');
    const r = checkLineEndings(b('Subject: x\n\nhi\n'), 'normalize');
    assert.ok(r.ok);
    assert.equal(r.bytes.toString(), 'Subject: x\r\n\r\nhi\r\n');
  });

  it('adds a missing final CRLF', () => {
    const r = checkLineEndings(b('Subject: x\r\n\r\nno newline'), 'strict');
    assert.ok(r.ok);
    assert.equal(r.bytes.toString(), 'Subject: x\r\n\r\nno newline\r\n');
  });
});

describe('headers', () => {
  const msg = b('Received: from a\r\n\tby b\r\nreceived: x\r\nSubject: s\r\n\r\nReceived: body is not header\r\n');
  it('finds the end of the header block', () => {
    assert.equal(msg.subarray(0, headerLength(msg)).toString().endsWith('Subject: s\r\n\r\n'), true);
    assert.equal(headerLength(b('\r\nbody')), 2);
  });
  it('counts header fields by name, case-insensitively, not in the body or continuations', () => {
    const header = msg.subarray(0, headerLength(msg));
    assert.deepEqual(headerNames(header), ['received', 'received', 'subject']);
    assert.equal(countHeader(header, 'Received'), 2);
  });
  it('formats dates and Received lines', () => {
    assert.equal(rfc5322Date(new Date(Date.UTC(2026, 10, 27, 23, 4, 5))), 'Fri, 27 Nov 2026 23:04:05 +0000');
    const h = receivedHeader({ helo: 'client.example\r\nX-Evil: 1', clientIp: '192.0.2.1', hostname: 'mx.example.com', protocol: 'ESMTPS', queueId: 'Q1', recipient: 'a@example.com', date: new Date(0), tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' } });
    assert.equal(h, 'Received: from client.example??X-Evil:?1 ([192.0.2.1])\r\n\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)\r\n\tby mx.example.com (Petrel) with ESMTPS id Q1\r\n\tfor <a@example.com>; Thu, 1 Jan 1970 00:00:00 +0000\r\n');
  });
});

describe('line endings: property test', () => {
  const hasBare = (buf: Buffer) => {
    for (let i = 0; i < buf.length; i++) {
      if (buf[i] === 0x0a && (i === 0 || buf[i - 1] !== 0x0d)) return true;
      if (buf[i] === 0x0d && buf[i + 1] !== 0x0a) return true;
    }
    return false;
  };
  it('whatever comes in, what is stored has only CRLF line ends', () => {
    let seed = 99;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const pieces = ['\r', '\n', '\r\n', '.', 'a', 'MAIL FROM:<x>', ' '];
    for (let i = 0; i < 5000; i++) {
      let s = '';
      for (let j = rand(40); j > 0; j--) s += pieces[rand(pieces.length)];
      const input = Buffer.from(s, 'latin1');
      const strict = checkLineEndings(input, 'strict');
      if (strict.ok) assert.equal(hasBare(strict.bytes), false, JSON.stringify(s));
      const normal = checkLineEndings(input, 'normalize');
      assert.ok(normal.ok);
      assert.equal(hasBare(normal.bytes), false, JSON.stringify(s));
      assert.ok(normal.bytes.length === 0 || normal.bytes.subarray(-2).toString() === '\r\n');
    }
  });
});
