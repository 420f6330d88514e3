/*
 * Property/fuzz tests: random bytes and random mutations of valid commands
 * fed through framer and parser in random chunks. Nothing may throw except
 * the typed ImapParseError (returned, not thrown), buffered bytes never exceed
 * the caps, and the whole run finishes in bounded time.
 * Threat: parser crashes, stack exhaustion or quadratic work on hostile input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImapFramer } from './framer.js';
import { ImapParseError } from './errors.js';
import { MAX_LINE_BYTES, POST_AUTH_FRAMER_LIMITS, PRE_AUTH_FRAMER_LIMITS, MAX_LINE_BYTES_PRE_AUTH } from './limits.js';
import { parseCommand } from './parser.js';

const SEEDS = [
  'a1 CAPABILITY\r\n',
  'a2 LOGIN {3+}\r\nbob "pa\\"ss"\r\n',
  'a3 AUTHENTICATE PLAIN AGJvYgBwdw==\r\n',
  'a4 SELECT INBOX (QRESYNC (1 2 1:* (1:3 5:7)))\r\n',
  'a5 LIST (SUBSCRIBED RECURSIVEMATCH) "" ("INBOX" "Sent*") RETURN (CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN SIZE))\r\n',
  'a6 UID FETCH 1:*,5 (FLAGS BODY.PEEK[1.2.HEADER.FIELDS (From To)]<0.100> BINARY[1] PREVIEW (LAZY)) (CHANGEDSINCE 5 VANISHED)\r\n',
  'a7 UID SEARCH RETURN (MIN COUNT) CHARSET UTF-8 OR FROM x (TO y NOT SEEN) 1:3 UID $ MODSEQ 5 SINCE 1-Feb-2024\r\n',
  'a8 APPEND Drafts (\\Draft) "01-Jan-2020 00:00:00 +0000" {5+}\r\nhello ~{2+}\r\nhi\r\n',
  'a9 STORE 1:3 (UNCHANGEDSINCE 5) +FLAGS.SILENT (\\Seen $Junk)\r\n',
  'b1 NOTIFY SET STATUS (selected (MessageNew (UID) FlagChange)) (subtree (INBOX Lists) (MessageNew))\r\n',
  'b2 SETMETADATA INBOX (/private/comment {5+}\r\nhello /shared/x NIL)\r\n',
  'b3 UID SORT (REVERSE DATE SUBJECT) UTF-8 ALL\r\n',
  'b4 THREAD REFERENCES UTF-8 SINCE 5-MAR-2000 UNDELETED\r\n',
  'b5 ID ("name" "x" "version" NIL)\r\n',
  'b6 CREATE "Entw&APw-rfe" (USE (\\Drafts))\r\n',
  'b7 SETQUOTA "" (STORAGE 512)\r\n',
  'b8 GETMETADATA (MAXSIZE 1024 DEPTH infinity) INBOX (/private/comment /shared/vendor/x)\r\n',
];

const TOKENS = ['(', ')', '[', ']', '{', '}', '"', '\\', ' ', '\r\n', '\n', '{4}\r\n', '{99999999}\r\n', '{3+}\r\n', '~{2+}\r\n', '*', '$', ':', ',', '<', '>', '.', 'NIL', 'OR ', 'NOT ', '&', '-', '\x00', '\xff', '0', '4294967296', 'BODY[', 'UID '];

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

function mutate(rnd: (n: number) => number, input: string): Buffer {
  let b = Buffer.from(input, 'latin1');
  for (let k = 1 + rnd(4); k > 0; k--) {
    const pos = rnd(b.length + 1);
    const op = rnd(5);
    if (op === 0) b = Buffer.concat([b.subarray(0, pos), b.subarray(Math.min(b.length, pos + 1 + rnd(8)))]);
    else if (op === 1) b = Buffer.concat([b.subarray(0, pos), Buffer.from(TOKENS[rnd(TOKENS.length)]!, 'latin1'), b.subarray(pos)]);
    else if (op === 2 && b.length) b[Math.min(pos, b.length - 1)] = rnd(256);
    else if (op === 3) b = Buffer.concat([b.subarray(0, pos), Buffer.from(TOKENS[rnd(TOKENS.length)]!.repeat(1 + rnd(40)), 'latin1'), b.subarray(pos)]);
    else b = Buffer.concat([b, Buffer.from(SEEDS[rnd(SEEDS.length)]!, 'latin1')]);
  }
  return b;
}

function feed(rnd: (n: number) => number, input: Buffer, preAuth: boolean, utf8: boolean): void {
  const limits = preAuth ? PRE_AUTH_FRAMER_LIMITS : POST_AUTH_FRAMER_LIMITS;
  const cap = preAuth ? MAX_LINE_BYTES_PRE_AUTH : MAX_LINE_BYTES;
  let f = new ImapFramer(limits);
  let off = 0;
  while (off < input.length) {
    const n = 1 + rnd(64);
    f.push(input.subarray(off, off + n));
    off += n;
    for (let e = f.next(); e; e = f.next()) {
      if (e.kind === 'command') {
        const r = parseCommand(e.unit, { utf8 });
        if (!r.ok) assert.ok(r.error instanceof ImapParseError);
      } else if (e.kind === 'error' && e.error.fatal) {
        f = new ImapFramer(limits);
        break;
      }
    }
    assert.ok(f.bufferedBytes() <= cap + 64 + limits.maxCommandBytes, 'buffer bounded');
  }
}

test('random mutations of valid commands never throw and stay bounded', () => {
  const rnd = rng(20261128);
  const start = Date.now();
  for (let i = 0; i < 20_000; i++) {
    feed(rnd, mutate(rnd, SEEDS[rnd(SEEDS.length)]!), rnd(2) === 0, rnd(2) === 0);
  }
  assert.ok(Date.now() - start < 30_000, 'bounded time');
});

test('random bytes never throw', () => {
  const rnd = rng(42);
  for (let i = 0; i < 5_000; i++) {
    const len = rnd(300);
    const b = Buffer.alloc(len);
    for (let j = 0; j < len; j++) b[j] = rnd(4) === 0 ? [0x0d, 0x0a, 0x20, 0x28, 0x7b][rnd(5)]! : rnd(256);
    feed(rnd, b, rnd(2) === 0, rnd(2) === 0);
  }
});

test('pathological inputs finish quickly', () => {
  const cases = [
    'a SEARCH ' + 'OR '.repeat(5000) + 'ALL\r\n',
    'a SEARCH ' + '('.repeat(5000) + '\r\n',
    'a FETCH ' + '1,'.repeat(20000) + '1 FLAGS\r\n',
    'a FETCH 1 (' + 'FLAGS '.repeat(10000) + ')\r\n',
    'a LOGIN ' + '"'.repeat(60000) + '\r\n',
    'a APPEND x ' + '{1+}\r\nx '.repeat(3000) + '{1+}\r\nx\r\n',
    'a ' + 'x'.repeat(70000) + '\r\n',
  ];
  for (const c of cases) {
    const t = Date.now();
    const rnd = rng(1);
    feed(rnd, Buffer.from(c, 'latin1'), false, false);
    assert.ok(Date.now() - t < 2000, c.slice(0, 30));
  }
});
