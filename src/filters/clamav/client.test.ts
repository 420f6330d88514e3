/*
 * The clamd client against scripted loopback servers speaking INSTREAM
 * as clamd does: the exact bytes sent (command, chunks, end marker), the
 * verdicts read; and every way clamd can fail a scan, none of them ever
 * clean: refused (down), never reading (stopped), reading and never
 * answering (hanging), answering or closing mid-stream (StreamMaxLength),
 * closing without a reply, an oversized reply, OK before the end of the
 * stream. Also over a unix socket, and the address forms.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ClamdClient, parseClamdAddress } from './client.js';
import { scriptedClamd, withScriptedClamd as withClamd } from './fake-clamd.js';

const client = (address: string, over: Partial<ConstructorParameters<typeof ClamdClient>[0]> = {}) =>
  new ClamdClient({ address, timeoutMs: 3000, connectTimeoutMs: 1000, idleTimeoutMs: 1000, ...over });

const MESSAGE = Buffer.from('From: a@example.net\r\nSubject: hello\r\n\r\nhi\r\n');

describe('clamd client', () => {
  it('streams the message in chunks and reads OK', () => withClamd({ answer: 'stream: OK\0' }, async (s) => {
    const big = Buffer.alloc(150_000, 'x');
    assert.deepEqual(await client(s.address).scan(big), { status: 'clean' });
    const [r] = s.requests;
    assert.equal(r!.command, 'zINSTREAM\0');
    assert.deepEqual(r!.chunks, [65536, 65536, 150_000 - 131072]);
    assert.ok(r!.ended && r!.message.equals(big));
  }));

  it('reads a signature', () => withClamd({ answer: 'stream: Eicar-Signature FOUND\0' }, async (s) => {
    assert.deepEqual(await client(s.address, { chunkBytes: 10 }).scan(MESSAGE), { status: 'infected', signature: 'Eicar-Signature' });
    assert.ok(s.requests[0]!.message.equals(MESSAGE));
    assert.equal(s.requests[0]!.chunks.length, Math.ceil(MESSAGE.length / 10));
  }));

  it('clamd down: unavailable, at once', async () => {
    const s = await scriptedClamd({ answer: '' });
    await s.close();
    const started = Date.now();
    const got = await client(s.address).scan(MESSAGE);
    assert.equal(got.status === 'unscanned' && got.reason, 'clamd unavailable', JSON.stringify(got));
    assert.ok(Date.now() - started < 1000);
  });

  it('clamd hanging after the stream: timed out within the whole timeout', () => withClamd({ silent: true }, async (s) => {
    const started = Date.now();
    const got = await client(s.address, { timeoutMs: 300, idleTimeoutMs: 200 }).scan(MESSAGE);
    assert.deepEqual(got, { status: 'unscanned', reason: 'clamd timed out', detail: 'no answer within 300 ms' });
    assert.ok(s.requests[0]!.ended, 'the whole stream was sent: the idle bound does not apply to the scan');
    assert.ok(Date.now() - started < 1500);
  }));

  it('clamd not reading (stopped): timed out after the idle bound, long before the whole timeout', () => withClamd({ neverRead: true }, async (s) => {
    const started = Date.now();
    const got = await client(s.address, { timeoutMs: 20_000, idleTimeoutMs: 300 }).scan(Buffer.alloc(32 * 1024 * 1024));
    assert.deepEqual(got, { status: 'unscanned', reason: 'clamd timed out', detail: 'clamd read nothing for 300 ms' });
    assert.ok(Date.now() - started < 5000);
  }));

  it('the size limit answered mid-stream: limits exceeded, nothing more sent', () => withClamd({ answer: 'INSTREAM size limit exceeded. ERROR\0', afterBytes: 100_000 }, async (s) => {
    const got = await client(s.address).scan(Buffer.alloc(4 * 1024 * 1024, 'y'));
    assert.equal(got.status === 'unscanned' && got.reason, 'limits exceeded', JSON.stringify(got));
    assert.equal(s.requests[0]!.ended, false);
  }));

  it('a close mid-stream without a reply: limits exceeded, never clean', () => withClamd({ close: true, afterBytes: 100_000 }, async (s) => {
    const got = await client(s.address).scan(Buffer.alloc(8 * 1024 * 1024, 'y'));
    assert.equal(got.status === 'unscanned' && got.reason, 'limits exceeded', JSON.stringify(got));
  }));

  it('OK before the end of the stream is not believed', () => withClamd({ answer: 'stream: OK\0', afterBytes: 65536 }, async (s) => {
    const got = await client(s.address).scan(Buffer.alloc(8 * 1024 * 1024, 'y'));
    assert.deepEqual(got, { status: 'unscanned', reason: 'clamd error', detail: 'clamd answered OK before the whole message was sent' });
  }));

  it('a close after the stream without a reply, a cut reply, an oversized one: errors', async () => {
    for (const [answer, detail] of [['', /closed without a reply/], ['stream: OK', /cut reply/], ['stream: ' + 'A'.repeat(2000), /reply over 1024 octets/]] as const) {
      await withClamd({ answer }, async (s) => {
        const got = await client(s.address).scan(MESSAGE);
        assert.ok(got.status === 'unscanned' && got.reason === 'clamd error' && detail.test(got.detail), JSON.stringify(got));
      });
    }
  });

  it('an address that does not parse is unavailable, not a throw', async () => {
    assert.equal((await client('::1').scan(MESSAGE)).status, 'unscanned');
  });

  it('speaks over a unix socket, and answers PING', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'petrel-clamd-'));
    const path = join(dir, 'clamd.ctl');
    const s = await scriptedClamd({ answer: 'stream: OK\0' }, path);
    try {
      assert.deepEqual(await client(path).scan(MESSAGE), { status: 'clean' });
      assert.equal(await client(path).ping(), true);
      assert.equal(await client(join(dir, 'nothing.ctl')).ping(), false);
    } finally {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('clamd addresses', () => {
  const cases: [string, ReturnType<typeof parseClamdAddress> | null][] = [
    ['127.0.0.1:3310', { host: '127.0.0.1', port: 3310 }],
    ['localhost', { host: 'localhost', port: 3310 }],
    ['[::1]:3311', { host: '::1', port: 3311 }],
    ['[::1]', { host: '::1', port: 3310 }],
    ['/run/clamav/clamd.ctl', { path: '/run/clamav/clamd.ctl' }],
    ['::1', null],
    ['host:0', null],
    ['host:70000', null],
    ['[::1]x', null],
    [':3310', null],
  ];
  for (const [input, expected] of cases) {
    it(input, () => {
      if (expected === null) assert.throws(() => parseClamdAddress(input));
      else assert.deepEqual(parseClamdAddress(input), expected);
    });
  }
});
