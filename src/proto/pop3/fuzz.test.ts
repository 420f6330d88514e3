/*
 * Property/fuzz tests: random bytes and random mutations of valid command
 * streams fed through the line reader (in random chunks) and the parser.
 * Nothing may throw, the reader never holds more than its limit plus one
 * chunk, every parsed command satisfies its type's invariants, and
 * dot-stuffed output never contains a lone `.` line and round-trips.
 * Threat: parser crashes, unbounded buffering or response smuggling on
 * hostile input.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_AUTH_LINE_BYTES, MAX_COMMAND_LINE_BYTES, MAX_NUMBER } from './limits.js';
import { parseAuthResponse, parseCommand } from './parser.js';
import { Pop3LineReader } from './reader.js';
import { dotStuffChunks, messageTop } from './responses.js';

const SEEDS = ['CAPA\r\n', 'USER bob@example.com\r\nPASS pw pw\r\n', 'AUTH PLAIN AGJvYgBwdw==\r\n', 'STAT\r\nLIST\r\nUIDL 2\r\nTOP 1 5\r\nRETR 3\r\nDELE 1\r\nRSET\r\nNOOP\r\nQUIT\r\n', 'STLS\r\n'];
const TOKENS = [' ', '\r\n', '\n', '\r', '.', '\x00', '\xff', '0', '4294967296', '-1', '=', '*', 'AUTH ', 'TOP ', 'PASS '];

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
    const op = rnd(4);
    if (op === 0) b = Buffer.concat([b.subarray(0, pos), b.subarray(Math.min(b.length, pos + 1 + rnd(8)))]);
    else if (op === 1) b = Buffer.concat([b.subarray(0, pos), Buffer.from(TOKENS[rnd(TOKENS.length)]!.repeat(1 + rnd(300)), 'latin1'), b.subarray(pos)]);
    else if (op === 2 && b.length) b[Math.min(pos, b.length - 1)] = rnd(256);
    else b = Buffer.concat([b, Buffer.from(SEEDS[rnd(SEEDS.length)]!, 'latin1')]);
  }
  return b;
}

test('reader and parser survive 5000 mutated command streams', () => {
  const rnd = rng(1939);
  for (let round = 0; round < 5000; round++) {
    const input = mutate(rnd, SEEDS[rnd(SEEDS.length)]!);
    const limit = rnd(4) === 0 ? MAX_AUTH_LINE_BYTES : MAX_COMMAND_LINE_BYTES;
    const reader = new Pop3LineReader(limit);
    for (let at = 0; at < input.length; ) {
      const n = 1 + rnd(64);
      const chunk = input.subarray(at, at + n);
      at += n;
      reader.push(chunk);
      for (let e = reader.next(); e; e = reader.next()) {
        if (e.kind !== 'line') continue;
        assert.ok(e.line.length <= limit);
        assert.ok(!e.line.includes(0x0a));
        const r = parseCommand(e.line);
        if (r.ok) {
          const c = r.command;
          if ('msg' in c && c.msg !== null) assert.ok(Number.isInteger(c.msg) && c.msg >= 0 && c.msg <= MAX_NUMBER);
          if (c.name === 'TOP') assert.ok(c.lines >= 0 && c.lines <= MAX_NUMBER);
          if (c.name === 'USER') assert.ok(c.user.length > 0 && !/[\s\u0000]/.test(c.user));
        }
        parseAuthResponse(e.line);
      }
      assert.ok(reader.buffered <= limit + n, `buffered ${reader.buffered}`);
    }
  }
});

test('random bytes never throw', () => {
  const rnd = rng(2449);
  for (let round = 0; round < 3000; round++) {
    const b = Buffer.alloc(rnd(200));
    for (let i = 0; i < b.length; i++) b[i] = rnd(256);
    parseCommand(b);
    parseAuthResponse(b);
  }
});

/** Undo of RFC 1939 byte-stuffing, as a client does it. */
function unstuff(wire: string): string {
  return wire
    .split('\r\n')
    .map((l) => (l.startsWith('.') ? l.slice(1) : l))
    .join('\r\n');
}

test('dot-stuffing: no terminator inside, round-trips CRLF messages, TOP is a prefix', () => {
  const rnd = rng(5034);
  const alphabet = ['.', '\r\n', 'a', ' ', '..', '\r\n.\r\n', 'x.y'];
  for (let round = 0; round < 2000; round++) {
    let s = '';
    for (let i = rnd(40); i > 0; i--) s += alphabet[rnd(alphabet.length)];
    // Stored mail is CRLF-terminated with no bare CR or LF.
    const message = s.replace(/\r(?!\n)/g, '').replace(/(?<!\r)\n/g, '') + (s.endsWith('\r\n') || s === '' ? '' : '\r\n');
    const wire = Buffer.concat([...dotStuffChunks(Buffer.from(message, 'latin1'), 1 + rnd(32))]).toString('latin1');
    assert.ok(!('\r\n' + wire).includes('\r\n.\r\n'), JSON.stringify(wire));
    assert.equal(unstuff(wire), message);
    const top = messageTop(Buffer.from(message, 'latin1'), rnd(5)).toString('latin1');
    assert.ok(message.startsWith(top));
  }
});
