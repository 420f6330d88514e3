/*
 * Threat tests: hostile structure (deep nesting, part floods, huge headers)
 * hits the caps fast, without overflowing the stack; random bytes and
 * mutated messages never make the indexer throw or produce offsets out of
 * order; indexing a 64 KiB message is cheap.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { indexMessage, type MessageIndex, type MimeLimits, type MimePart } from './index.js';

const crlf = (...lines: string[]): string => lines.join('\r\n');

function countLines(buf: Buffer, start: number, end: number): number {
  if (end <= start) return 0;
  let n = 0;
  for (let i = buf.indexOf(0x0a, start); i >= 0 && i < end; i = buf.indexOf(0x0a, i + 1)) n++;
  return buf[end - 1] === 0x0a ? n : n + 1;
}

/** Checks every invariant of an index, iteratively; returns the deepest part level. */
function checkIndex(buf: Buffer, index: MessageIndex, exactLines = true): number {
  assert.equal(index.v, 1);
  assert.equal(index.size, buf.length);
  let count = 0;
  let deepest = 0;
  const todo: [MimePart, number, number, number][] = [[index.root, 0, 0, buf.length]];
  while (todo.length > 0) {
    const [part, depth, lo, hi] = todo.pop() as [MimePart, number, number, number];
    count++;
    deepest = Math.max(deepest, depth);
    const { headerStart, bodyStart, bodyEnd } = part;
    assert.ok(lo <= headerStart && headerStart <= bodyStart && bodyStart <= bodyEnd && bodyEnd <= hi, `offsets ${lo} ${headerStart} ${bodyStart} ${bodyEnd} ${hi}`);
    if (exactLines) assert.equal(part.bodyLines, countLines(buf, bodyStart, bodyEnd));
    assert.ok(part.type !== '' && part.subtype !== '' && part.type === part.type.toLowerCase());
    assert.ok(!(part.children !== undefined && part.message !== undefined));
    if (part.children !== undefined) {
      assert.equal(part.type, 'multipart');
      let previousEnd = bodyStart;
      for (const child of part.children) {
        assert.ok(child.headerStart >= previousEnd, 'siblings in order');
        previousEnd = child.bodyEnd;
        todo.push([child, depth + 1, bodyStart, bodyEnd]);
      }
    }
    if (part.message !== undefined) {
      assert.equal(part.message.root.headerStart, bodyStart);
      todo.push([part.message.root, depth + 1, bodyStart, bodyEnd]);
    }
  }
  assert.equal(count, index.partCount);
  return deepest;
}

function timed<T>(fn: () => T): [T, number] {
  const started = performance.now();
  const value = fn();
  return [value, performance.now() - started];
}

describe('caps on hostile structure', () => {
  it('200 nested multiparts: stops at depth 100, truncated, no stack overflow', () => {
    let open = '';
    let close = '';
    for (let i = 0; i < 200; i++) {
      open += `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`;
      close = `\r\n--b${i}--${close}`;
    }
    const buf = Buffer.from(`${open}\r\nleaf${close}\r\n`);
    const [index, ms] = timed(() => indexMessage(buf));
    assert.ok(ms < 1000, `${ms} ms`);
    assert.equal(index.truncated, true);
    assert.equal(checkIndex(buf, index), 100);
    assert.equal(index.partCount, 101);
    JSON.stringify(index);
  });

  it('200 nested message/rfc822 parts: stops at depth 100, truncated', () => {
    const buf = Buffer.from(`${'Content-Type: message/rfc822\r\n\r\n'.repeat(200)}Subject: deepest\r\n\r\nbody`);
    const [index, ms] = timed(() => indexMessage(buf));
    assert.ok(ms < 1000, `${ms} ms`);
    assert.equal(index.truncated, true);
    assert.equal(checkIndex(buf, index), 100);
  });

  it('20,000 parts: stops at 10,000 parts, truncated, fast', () => {
    const buf = Buffer.from(`Content-Type: multipart/mixed; boundary=p\r\n\r\n${'--p\r\n\r\nx\r\n'.repeat(20_000)}--p--\r\n`);
    const [index, ms] = timed(() => indexMessage(buf));
    assert.ok(ms < 2000, `${ms} ms`);
    assert.equal(index.truncated, true);
    assert.equal(index.partCount, 10_000);
    assert.equal(index.root.children?.length, 9_999);
    checkIndex(buf, index);
  });

  it('a custom part cap counts encapsulated messages', () => {
    const buf = Buffer.from(crlf('Content-Type: multipart/mixed; boundary=p', '', '--p', 'Content-Type: message/rfc822', '', 'Subject: in', '', 'x', '--p', '', 'y', '--p--'));
    const index = indexMessage(buf, { maxParts: 2 });
    assert.equal(index.partCount, 2);
    assert.equal(index.truncated, true);
    assert.equal(index.root.children?.[0]?.message, undefined);
    checkIndex(buf, index);
  });

  it('a header block over maxHeaderBytes: the rest is body, truncated', () => {
    const buf = Buffer.from(crlf('Subject: one', 'X-Filler: 0123456789012345678901234567890123456789', 'Content-Type: text/html', '', 'body'));
    const index = indexMessage(buf, { maxHeaderBytes: 30 });
    assert.equal(index.truncated, true);
    assert.equal(buf.toString('latin1', index.root.headerStart, index.root.bodyStart), 'Subject: one\r\n');
    assert.equal(index.root.subtype, 'plain');
    assert.equal(index.envelope.subject, 'one');
    checkIndex(buf, index);
  });

  it('a header field over maxLineBytes is not interpreted, truncated', () => {
    const buf = Buffer.from(crlf('Content-Type: text/html; charset=utf-8; x=yyyyyyyyyyyyyyyyyyyy', 'Subject: ok', '', 'body'));
    const index = indexMessage(buf, { maxLineBytes: 40 });
    assert.equal(index.truncated, true);
    assert.equal(index.root.subtype, 'plain');
    assert.equal(index.envelope.subject, 'ok');
    assert.equal(index.root.bodyStart, buf.length - 4);
  });

  it('nonsense limits fall back to the defaults', () => {
    const buf = Buffer.from('Subject: x\r\n\r\ny');
    const limits = { maxDepth: -1, maxParts: Number.NaN, maxHeaderBytes: 1.5, maxLineBytes: 'x' } as unknown as Partial<MimeLimits>;
    const index = indexMessage(buf, limits);
    assert.equal(index.truncated, false);
    assert.equal(index.envelope.subject, 'x');
  });

  it('one huge header line and a huge boundary-like line stay linear', () => {
    const huge = 'a'.repeat(2_000_000);
    const buf = Buffer.from(`Content-Type: multipart/mixed; boundary=${'b'.repeat(300)}\r\nX: ${huge}\r\n\r\n--${huge}\r\n--${'-'.repeat(1_000_000)}\r\n`);
    const [index, ms] = timed(() => indexMessage(buf));
    assert.ok(ms < 2000, `${ms} ms`);
    assert.equal(index.truncated, true);
    checkIndex(buf, index);
  });
});

/** Deterministic PRNG (xorshift32), so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

const SAMPLES = [
  crlf('From: a@b.test', 'Subject: =?UTF-8?Q?x?=', 'Content-Type: multipart/mixed; boundary=a', '', 'pre', '--a', 'Content-Type: text/plain', '', 'one', '--a', 'Content-Type: message/rfc822', '', 'To: Group: c@d.test;', 'Content-Type: multipart/alternative; boundary=ab', '', '--ab', '', 'x', '--ab--', '--a--', 'epi'),
  crlf('Content-Type: multipart/digest; boundary=d', '', '--d', '', 'Subject: s', '', 'b', '--d', '', 'c', '--d--'),
  ['Content-Type: multipart/related; boundary="q q"', '', '--q q', 'Content-Disposition: inline; filename*0*=utf-8\'\'%C3%A9; filename*1=x', '', 'z', '--q q--', ''].join('\n'),
];

const TOKENS = ['\r\n', '\n', '\r', '--', '--a', '--ab', '--a--', '--d', '\r\n\r\n', ':', ' ', '\t', '"', '(', ')', ';', '=', '<', '>', '@', ',',
  'Content-Type: multipart/mixed; boundary=a\r\n', 'Content-Type: message/rfc822\r\n', 'Content-Type: multipart/digest; boundary=d\r\n', 'boundary=', '*0*=', "utf-8''%"];

function randomMessage(next: () => number): Buffer {
  const pieces: Buffer[] = [];
  const n = Math.floor(next() * 200);
  for (let i = 0; i < n; i++) {
    if (next() < 0.5) pieces.push(Buffer.from(TOKENS[Math.floor(next() * TOKENS.length)] as string));
    else pieces.push(Buffer.from([Math.floor(next() * 256)]));
  }
  return Buffer.concat(pieces);
}

function mutate(source: string, next: () => number): Buffer {
  let buf = Buffer.from(source);
  const rounds = 1 + Math.floor(next() * 6);
  for (let r = 0; r < rounds; r++) {
    const at = Math.floor(next() * (buf.length + 1));
    const len = Math.floor(next() * 20);
    const op = Math.floor(next() * 5);
    if (op === 0) buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + len)]);
    else if (op === 1) buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at, at + len), buf.subarray(at)]);
    else if (op === 2) buf = Buffer.concat([buf.subarray(0, at), Buffer.from(TOKENS[Math.floor(next() * TOKENS.length)] as string), buf.subarray(at)]);
    else if (op === 3 && at < buf.length) {
      buf = Buffer.from(buf);
      buf[at] = Math.floor(next() * 256);
    } else buf = buf.subarray(0, at);
  }
  return buf;
}

describe('fuzz: random bytes and mutated messages', () => {
  it('never throws, keeps offsets in bounds and in order, counts lines exactly', () => {
    const started = performance.now();
    for (let seed = 1; seed <= 3000; seed++) {
      const next = rng(seed * 7919);
      const buf = seed % 3 === 0 ? randomMessage(next) : mutate(SAMPLES[seed % SAMPLES.length] as string, next);
      const limits: Partial<MimeLimits> = seed % 5 === 0 ? { maxDepth: 2, maxParts: 4, maxHeaderBytes: 40, maxLineBytes: 30 } : {};
      let index: MessageIndex;
      try {
        index = indexMessage(buf, limits);
        checkIndex(buf, index);
        assert.deepEqual(JSON.parse(JSON.stringify(index)), index);
      } catch (err) {
        assert.fail(`seed ${seed}: ${String(err)}\n${JSON.stringify(buf.toString('latin1'))}`);
      }
    }
    assert.ok(performance.now() - started < 20_000);
  });
});

describe('speed', () => {
  it('indexes a 64 KiB multipart message well under a few milliseconds on average', (t) => {
    const line = `${'x'.repeat(74)}\r\n`;
    const parts: string[] = [];
    for (let i = 0; i < 40; i++) {
      parts.push(`--=_sep\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${line.repeat(20)}`);
    }
    const message = `From: "A" <a@example.com>\r\nTo: b@example.com\r\nSubject: speed\r\nDate: Tue, 1 Jul 2003 10:52:37 +0200\r\nMessage-ID: <x@example.com>\r\nContent-Type: multipart/mixed; boundary="=_sep"\r\n\r\n${parts.join('')}--=_sep--\r\n`;
    const buf = Buffer.from(message.padEnd(64 * 1024, 'y'));
    for (let i = 0; i < 50; i++) indexMessage(buf);
    const runs = 300;
    const [, ms] = timed(() => {
      for (let i = 0; i < runs; i++) indexMessage(buf);
    });
    const average = ms / runs;
    t.diagnostic(`64 KiB, ${indexMessage(buf).partCount} parts: ${average.toFixed(3)} ms per message`);
    assert.ok(average < 5, `${average} ms`);
  });
});
