/*
 * Property/fuzz tests of the ManageSieve codec: random bytes and random
 * mutations of valid command streams fed through the framer (in random
 * chunks) and the parser. Nothing may throw; the framer never holds more
 * than its line and literal limits plus one chunk; the same bytes give the
 * same events however they are chunked; every parsed command satisfies
 * its type's invariants; and any string the encoder writes (quoted or
 * literal) parses back to the same octets.
 * Threat: parser crashes, unbounded buffering, and desynchronised framing
 * (a script's content read as commands) on hostile input.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_LINE_BYTES, MAX_NUMBER, MAX_PRE_AUTH_LITERAL_BYTES, MAX_TAG_BYTES } from './limits.js';
import { parseAuthResponse, parseCommand } from './parser.js';
import { ManageSieveReader, type FrameEvent } from './reader.js';
import { encodeString } from './responses.js';

const SEEDS = [
  'CAPABILITY\r\n',
  'STARTTLS\r\n',
  'AUTHENTICATE "PLAIN" "AGJvYgBwdw=="\r\n',
  'AUTHENTICATE "PLAIN" {12+}\r\nAGJvYgBwdw==\r\n',
  'PUTSCRIPT "main" {28+}\r\nrequire "fileinto";\r\nkeep;\r\n\r\nSETACTIVE "main"\r\n',
  'HAVESPACE "x" 100\r\nLISTSCRIPTS\r\nGETSCRIPT "main"\r\nRENAMESCRIPT "a" "b"\r\nDELETESCRIPT "b"\r\nNOOP "t"\r\nLOGOUT\r\n',
  'CHECKSCRIPT "keep;"\r\nUNAUTHENTICATE\r\n',
];
const TOKENS = [' ', '\r\n', '\n', '\r', '"', '\\', '{', '}', '+}', '{5+}\r\n', '{0}\r\n', '{99999}\r\n', '\x00', '\xff', '0', '4294967296', '*'];

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

function feed(input: Buffer, chunks: (n: number) => number, check?: (reader: ManageSieveReader, chunk: number) => void): FrameEvent[] {
  const reader = new ManageSieveReader();
  const out: FrameEvent[] = [];
  for (let at = 0; at < input.length; ) {
    const n = chunks(input.length - at);
    reader.push(input.subarray(at, at + n));
    at += n;
    for (let e = reader.next(); e; e = reader.next()) out.push(e);
    check?.(reader, n);
  }
  return out;
}

test('framer and parser survive 5000 mutated command streams, bounded, and chunking does not change the events', () => {
  const rnd = rng(5804);
  for (let round = 0; round < 5000; round++) {
    const input = mutate(rnd, SEEDS[rnd(SEEDS.length)]!);
    const events = feed(input, (left) => Math.min(left, 1 + rnd(64)), (reader, n) => {
      assert.ok(reader.buffered <= MAX_LINE_BYTES + MAX_PRE_AUTH_LITERAL_BYTES + n, `buffered ${reader.buffered}`);
    });
    assert.deepEqual(feed(input, (left) => left), events, 'one chunk or many, the same events');
    for (const e of events) {
      if (e.kind !== 'command') continue;
      parseAuthResponse(e.parts);
      const r = parseCommand(e.parts);
      if (!r.ok) continue;
      const c = r.command;
      if (c.name === 'HAVESPACE') assert.ok(Number.isInteger(c.size) && c.size >= 0 && c.size <= MAX_NUMBER);
      if (c.name === 'AUTHENTICATE') assert.match(c.mechanism, /^[A-Z0-9_-]{1,20}$/);
      if (c.name === 'NOOP' && c.tag) assert.ok(c.tag.length <= MAX_TAG_BYTES);
    }
  }
});

test('random bytes never throw', () => {
  const rnd = rng(4190);
  for (let round = 0; round < 3000; round++) {
    const b = Buffer.alloc(rnd(300));
    for (let i = 0; i < b.length; i++) b[i] = rnd(256);
    for (const e of feed(b, (left) => Math.min(left, 1 + rnd(32)))) {
      if (e.kind === 'command') {
        parseCommand(e.parts);
        parseAuthResponse(e.parts);
      }
    }
  }
});

test('any string the encoder writes, quoted or literal, parses back to the same octets; a script never leaks into the command stream', () => {
  const rnd = rng(7888);
  const alphabet = ['a', ' ', '"', '\\', '\r\n', '\n', '\r', '{5+}', '}', 'é', '\x00', '\xff', 'LOGOUT\r\n'];
  for (let round = 0; round < 2000; round++) {
    const pick = () => {
      let s = '';
      for (let k = rnd(20); k > 0; k--) s += alphabet[rnd(alphabet.length)];
      return Buffer.from(s, rnd(2) ? 'utf8' : 'latin1');
    };
    const name = pick();
    const content = pick();
    const wire = Buffer.concat([Buffer.from('PUTSCRIPT '), encodeString(name), Buffer.from(' '), encodeString(content), Buffer.from('\r\nNOOP\r\n')]);
    const events = feed(wire, (left) => Math.min(left, 1 + rnd(16)));
    assert.equal(events.length, 2, JSON.stringify(events));
    const first = events[0]!;
    assert.equal(first.kind, 'command');
    assert.deepEqual(parseCommand((first as Extract<FrameEvent, { kind: 'command' }>).parts), { ok: true, command: { name: 'PUTSCRIPT', script: name, content } });
    assert.deepEqual(parseCommand((events[1] as Extract<FrameEvent, { kind: 'command' }>).parts), { ok: true, command: { name: 'NOOP', tag: null } });
  }
});
