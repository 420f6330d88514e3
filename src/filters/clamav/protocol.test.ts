/*
 * The clamd codec with literal wire strings: the INSTREAM framing, every
 * reply clamd 1.x gives (OK, FOUND, the size limit, errors) and the ones
 * it must not be taken for (cut, doubled, padded, heuristic limit
 * signatures); and a fuzz test of the property that matters: no input
 * throws, and nothing but the exact bytes "stream: OK\0" is ever clean.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { instreamFrames, isPong, parseClamdReply, type ScanOutcome } from './protocol.js';

describe('clamd INSTREAM framing', () => {
  it('sends the command, each chunk after its 4-octet big-endian length, and an empty chunk', () => {
    const wire = Buffer.concat([...instreamFrames(Buffer.from('abcdefg'), 3)]).toString('latin1');
    assert.equal(wire, 'zINSTREAM\0\0\0\0\x03abc\0\0\0\x03def\0\0\0\x01g\0\0\0\0');
  });

  it('an empty message is the command and the end marker only', () => {
    assert.equal(Buffer.concat([...instreamFrames(Buffer.alloc(0), 64)]).toString('latin1'), 'zINSTREAM\0\0\0\0\0');
  });

  it('refuses a chunk size that cannot be framed', () => {
    assert.throws(() => [...instreamFrames(Buffer.from('x'), 0)], RangeError);
    assert.throws(() => [...instreamFrames(Buffer.from('x'), 2 ** 32)], RangeError);
  });
});

describe('clamd replies', () => {
  const cases: [string, string, ScanOutcome | ScanOutcome['status']][] = [
    ['clean', 'stream: OK\0', { status: 'clean' }],
    ['a signature', 'stream: Eicar-Signature FOUND\0', { status: 'infected', signature: 'Eicar-Signature' }],
    ['an unofficial signature', 'stream: Petrel.Test.EICAR.UNOFFICIAL FOUND\0', { status: 'infected', signature: 'Petrel.Test.EICAR.UNOFFICIAL' }],
    ['a signature with spaces', 'stream: Win.Test.EICAR_HDB-1 (2 of 3) FOUND\0', { status: 'infected', signature: 'Win.Test.EICAR_HDB-1 (2 of 3)' }],
    ['the size limit', 'INSTREAM size limit exceeded. ERROR\0', { status: 'unscanned', reason: 'limits exceeded', detail: 'clamd: INSTREAM size limit exceeded (StreamMaxLength)' }],
    ['a limits heuristic (AlertExceedsMax)', 'stream: Heuristics.Limits.Exceeded.MaxFileSize FOUND\0', { status: 'unscanned', reason: 'limits exceeded', detail: 'clamd: Heuristics.Limits.Exceeded.MaxFileSize' }],
    ['another heuristic is a finding', 'stream: Heuristics.Encrypted.Zip FOUND\0', { status: 'infected', signature: 'Heuristics.Encrypted.Zip' }],
    ['an error', 'stream: Can\'t allocate memory ERROR\0', { status: 'unscanned', reason: 'clamd error', detail: 'clamd: stream: Can\'t allocate memory ERROR' }],
    ['an unknown command', 'UNKNOWN COMMAND\0', 'unscanned'],
    ['OK without its NUL (cut)', 'stream: OK', 'unscanned'],
    ['OK twice', 'stream: OK\0stream: OK\0', 'unscanned'],
    ['OK with a newline (not z mode)', 'stream: OK\n', 'unscanned'],
    ['OK padded', 'stream:  OK\0', 'unscanned'],
    ['OK in lower case', 'stream: ok\0', 'unscanned'],
    ['OK without the stream prefix', 'OK\0', 'unscanned'],
    ['a FOUND without a name', 'stream:  FOUND\0', 'unscanned'],
    ['nothing', '', 'unscanned'],
    ['a lone NUL', '\0', 'unscanned'],
    ['PONG', 'PONG\0', 'unscanned'],
  ];
  for (const [what, wire, expected] of cases) {
    it(what, () => {
      const got = parseClamdReply(Buffer.from(wire, 'latin1'));
      if (typeof expected === 'string') assert.equal(got.status, expected, JSON.stringify(got));
      else assert.deepEqual(got, expected);
    });
  }

  it('a signature is printable ASCII and bounded, whatever clamd echoes', () => {
    const got = parseClamdReply(Buffer.from(`stream: Evil\r\nX-Injected: 1\x1b[31m${'A'.repeat(500)} FOUND\0`, 'latin1'));
    assert.equal(got.status, 'infected');
    const signature = (got as { signature: string }).signature;
    assert.match(signature, /^[\x20-\x7e]+$/);
    assert.ok(signature.startsWith('Evil??X-Injected: 1?[31mAAA'), signature);
    assert.equal(signature.length, 200);
  });

  it('PONG is the answer to PING', () => {
    assert.equal(isPong(Buffer.from('PONG\0')), true);
    assert.equal(isPong(Buffer.from('PONG')), false);
    assert.equal(isPong(Buffer.from('stream: OK\0')), false);
  });
});

describe('clamd reply parser, fuzzed', () => {
  const CLEAN = Buffer.from('stream: OK\0', 'latin1');
  const seeds = ['stream: OK\0', 'stream: X FOUND\0', 'INSTREAM size limit exceeded. ERROR\0', 'PONG\0'].map((s) => Buffer.from(s, 'latin1'));

  /** Random bytes, or a seed reply with a few octets changed, inserted or cut. */
  function sample(i: number): Buffer {
    if (i % 3 === 0) return randomBytes(i % 40);
    const seed = Buffer.from(seeds[i % seeds.length]!);
    const r = randomBytes(4);
    switch (r[0]! % 4) {
      case 0: // change one octet
        seed[r[1]! % seed.length] = r[2]!;
        return seed;
      case 1: // cut
        return seed.subarray(0, r[1]! % (seed.length + 1));
      case 2: { // insert one octet
        const at = r[1]! % (seed.length + 1);
        return Buffer.concat([seed.subarray(0, at), Buffer.from([r[2]!]), seed.subarray(at)]);
      }
      default: // two replies, or trailing bytes
        return Buffer.concat([seed, randomBytes(r[1]! % 4)]);
    }
  }

  it('never throws, and is clean only for exactly "stream: OK\\0"', () => {
    for (let i = 0; i < 20_000; i++) {
      const input = sample(i);
      const got = parseClamdReply(input);
      assert.equal(got.status === 'clean', input.equals(CLEAN), `input ${JSON.stringify(input.toString('latin1'))} gave ${JSON.stringify(got)}`);
      if (got.status === 'infected') assert.match(got.signature, /^[\x20-\x7e]{1,200}$/);
    }
  });
});
