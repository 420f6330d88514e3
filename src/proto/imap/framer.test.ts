/*
 * Tests for the IMAP framer: literals (synchronising, LITERAL+, LITERAL-,
 * literal8), size checks before `+`, unterminated lines, IDLE and
 * AUTHENTICATE modes, byte-at-a-time delivery.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImapFramer, type FrameEvent } from './framer.js';
import { MAX_LINE_BYTES_PRE_AUTH, POST_AUTH_FRAMER_LIMITS, PRE_AUTH_FRAMER_LIMITS } from './limits.js';

function drain(f: ImapFramer): FrameEvent[] {
  const out: FrameEvent[] = [];
  for (let e = f.next(); e; e = f.next()) out.push(e);
  return out;
}

function show(e: FrameEvent): string {
  if (e.kind === 'command') {
    return 'cmd:' + e.unit.lines.map((l, i) => l.toString('latin1') + (e.unit.literals[i] ? `<${e.unit.literals[i]!.data.toString('latin1')}>` : '')).join('');
  }
  if (e.kind === 'continue') return `+${e.size}`;
  if (e.kind === 'line') return 'line:' + e.line.toString('latin1');
  return `err:${e.error.code}:${e.error.tag}:${e.error.fatal ? 'fatal' : 'ok'}`;
}

function run(input: string, limits = POST_AUTH_FRAMER_LIMITS, bytewise = false): string[] {
  const f = new ImapFramer(limits);
  const out: string[] = [];
  const buf = Buffer.from(input, 'latin1');
  if (bytewise) {
    for (const b of buf) {
      f.push(Buffer.from([b]));
      out.push(...drain(f).map(show));
    }
  } else {
    f.push(buf);
    out.push(...drain(f).map(show));
  }
  return out;
}

const CASES: Array<[string, string, string[]]> = [
  ['simple line', 'a1 NOOP\r\n', ['cmd:a1 NOOP']],
  ['two pipelined', 'a1 NOOP\r\na2 CAPABILITY\r\n', ['cmd:a1 NOOP', 'cmd:a2 CAPABILITY']],
  ['bare LF accepted', 'a1 NOOP\n', ['cmd:a1 NOOP']],
  ['incomplete line waits', 'a1 NOO', []],
  ['sync literal asks for +', 'a LOGIN {3}\r\nbob {2}\r\npw\r\n', ['+3', '+2', 'cmd:a LOGIN {3}<bob> {2}<pw>']],
  ['LITERAL+ no continuation', 'a LOGIN {3+}\r\nbob {2+}\r\npw\r\n', ['cmd:a LOGIN {3+}<bob> {2+}<pw>']],
  ['LITERAL- no continuation', 'a LOGIN {3-}\r\nbob x\r\n', ['cmd:a LOGIN {3-}<bob> x']],
  ['literal8', 'a APPEND x ~{3+}\r\na\x00b\r\n', ['cmd:a APPEND x ~{3+}<a\x00b>']],
  ['literal containing CRLF', 'a APPEND x {4+}\r\n\r\n\r\n\r\n', ['cmd:a APPEND x {4+}<\r\n\r\n>']],
  ['zero-length literal', 'a LOGIN {0}\r\n ""\r\n', ['+0', 'cmd:a LOGIN {0}<> ""']],
];

test('frames commands and literals', () => {
  for (const [name, input, want] of CASES) {
    assert.deepEqual(run(input), want, name);
    assert.deepEqual(run(input, POST_AUTH_FRAMER_LIMITS, true), want, name + ' (byte at a time)');
  }
});

test('literal too big before +: refused without allocation, command only', () => {
  assert.deepEqual(run('a1 LOGIN {5000}\r\na2 NOOP\r\n', PRE_AUTH_FRAMER_LIMITS), ['err:literal-too-large:a1:ok', 'cmd:a2 NOOP']);
  // Declared size far beyond memory: rejected by the size check, nothing buffered.
  const f = new ImapFramer(POST_AUTH_FRAMER_LIMITS);
  f.push(Buffer.from('a1 APPEND x {99999999999}\r\n'));
  assert.deepEqual(drain(f).map(show), ['err:bad-literal-size:a1:ok']);
  f.push(Buffer.from('a2 APPEND x {999999999}\r\n'));
  assert.deepEqual(drain(f).map(show), ['err:literal-too-large:a2:ok']);
  assert.equal(f.bufferedBytes(), 0);
});

test('non-synchronising literal too big is fatal (the bytes are already coming)', () => {
  assert.deepEqual(run('a1 LOGIN {5000+}\r\n', PRE_AUTH_FRAMER_LIMITS), ['err:literal-too-large:a1:fatal']);
  assert.deepEqual(run('a1 APPEND x {4097-}\r\n'), ['err:literal-minus-too-large:a1:fatal']);
});

test('too many literals pre-auth', () => {
  assert.deepEqual(run('a LOGIN {1+}\r\na {1+}\r\nb {1+}\r\n', PRE_AUTH_FRAMER_LIMITS), ['err:too-many-literals:a:fatal']);
});

test('a line without CRLF cannot grow memory beyond the cap', () => {
  const f = new ImapFramer(PRE_AUTH_FRAMER_LIMITS);
  const chunk = Buffer.alloc(1000, 0x41);
  let err: FrameEvent | undefined;
  for (let i = 0; i < 100 && !err; i++) {
    f.push(chunk);
    err = drain(f)[0];
    assert.ok(f.bufferedBytes() <= MAX_LINE_BYTES_PRE_AUTH + 1000);
  }
  assert.ok(err && err.kind === 'error' && err.error.code === 'line-too-long' && err.error.fatal);
  f.push(Buffer.from('a NOOP\r\n'));
  assert.equal(f.next(), null);
});

test('IDLE mode returns raw lines until the session switches back', () => {
  const f = new ImapFramer(POST_AUTH_FRAMER_LIMITS);
  f.push(Buffer.from('a IDLE\r\nDONE\r\nb NOOP\r\n'));
  assert.equal(show(f.next()!), 'cmd:a IDLE');
  f.setMode('idle');
  assert.equal(show(f.next()!), 'line:DONE');
  f.setMode('command');
  assert.equal(show(f.next()!), 'cmd:b NOOP');
});

test('AUTHENTICATE mode returns response lines, {n} is not a literal there', () => {
  const f = new ImapFramer(PRE_AUTH_FRAMER_LIMITS);
  f.setMode('authenticate');
  f.push(Buffer.from('AGJvYgBwdw==\r\n{5}\r\n'));
  assert.deepEqual(drain(f).map(show), ['line:AGJvYgBwdw==', 'line:{5}']);
});

test('IDLE DONE and AUTHENTICATE response lines', async () => {
  const { isIdleDone, parseAuthResponse } = await import('./continuation.js');
  assert.ok(isIdleDone(Buffer.from('done')));
  assert.ok(!isIdleDone(Buffer.from('DONE x')));
  assert.deepEqual(parseAuthResponse(Buffer.from('*')), { kind: 'cancel' });
  assert.deepEqual(parseAuthResponse(Buffer.from('=')), { kind: 'data', data: Buffer.alloc(0) });
  assert.deepEqual(parseAuthResponse(Buffer.from('AGJvYgBwdw==')), { kind: 'data', data: Buffer.from('\0bob\0pw') });
  assert.deepEqual(parseAuthResponse(Buffer.from('AGJvYgBwdw')), { kind: 'invalid' });
  assert.deepEqual(parseAuthResponse(Buffer.from('a b=')), { kind: 'invalid' });
});

test('a refused line that announces a LITERAL+ is fatal (its bytes are already coming)', () => {
  const limits = { ...PRE_AUTH_FRAMER_LIMITS, maxCommandBytes: 20 };
  assert.deepEqual(run('a1 LOGIN xxxxxxxxxxxxxxxxxxx {3+}\r\nabc\r\n', limits), ['err:command-too-large:a1:fatal']);
  assert.deepEqual(run('a1 LOGIN xxxxxxxxxxxxxxxxxxx {3}\r\na2 NOOP\r\n', limits), ['err:command-too-large:a1:ok', 'cmd:a2 NOOP']);
  assert.deepEqual(run('a1 LOGIN {123456789012345678901234567890}\r\na2 NOOP\r\n'), ['err:bad-literal-size:a1:ok', 'cmd:a2 NOOP']);
});

test('errors name the command so APPEND can be answered NO [TOOBIG]', () => {
  const f = new ImapFramer(POST_AUTH_FRAMER_LIMITS);
  f.push(Buffer.from('A003 APPEND saved-messages (\\Seen) {999999999}\r\n'));
  const e = f.next();
  assert.ok(e && e.kind === 'error');
  assert.deepEqual(e.error, { code: 'literal-too-large', tag: 'A003', command: 'APPEND', fatal: false, message: 'literal too large' });
  const g = new ImapFramer(PRE_AUTH_FRAMER_LIMITS);
  g.push(Buffer.from('x UID FETCH ' + '1,'.repeat(5000) + '\r\n'));
  const h = g.next();
  assert.ok(h && h.kind === 'error' && h.error.command === 'FETCH' && h.error.tag === 'x' && h.error.fatal);
});

test('a synchronising literal refused in the middle of a command ends only that command (MULTIAPPEND)', () => {
  const f = new ImapFramer(POST_AUTH_FRAMER_LIMITS);
  f.push(Buffer.from('M1 APPEND INBOX {3}\r\n'));
  assert.deepEqual(f.next(), { kind: 'continue', size: 3 });
  f.push(Buffer.from('abc {999999999}\r\nM2 NOOP\r\n'));
  const e = f.next();
  assert.ok(e && e.kind === 'error');
  assert.deepEqual(e.error, { code: 'literal-too-large', tag: 'M1', command: 'APPEND', fatal: false, message: 'literal too large' });
  const next = f.next();
  assert.ok(next && next.kind === 'command' && next.unit.lines[0]!.toString() === 'M2 NOOP', 'the stream goes on with the next command');
  const g = new ImapFramer(POST_AUTH_FRAMER_LIMITS);
  g.push(Buffer.from('M1 APPEND INBOX {3+}\r\nabc {999999999+}\r\n'));
  const h = g.next();
  assert.ok(h && h.kind === 'error' && h.error.fatal, 'a LITERAL+ one is on its way: fatal');
});

test('pre-login literal cap: a 1025-byte LOGIN literal is refused before +', () => {
  assert.deepEqual(run('a LOGIN {1025}\r\n', PRE_AUTH_FRAMER_LIMITS), ['err:literal-too-large:a:ok']);
  assert.deepEqual(run('a LOGIN {1024}\r\n', PRE_AUTH_FRAMER_LIMITS), ['+1024']);
});

test('setLimits after login raises the caps', () => {
  const f = new ImapFramer(PRE_AUTH_FRAMER_LIMITS);
  f.setLimits(POST_AUTH_FRAMER_LIMITS);
  f.push(Buffer.from('a APPEND INBOX {100000}\r\n'));
  assert.deepEqual(drain(f).map(show), ['+100000']);
  f.push(Buffer.alloc(100000, 0x61));
  f.push(Buffer.from('\r\n'));
  const ev = drain(f);
  assert.equal(ev.length, 1);
  assert.ok(ev[0]!.kind === 'command' && ev[0]!.unit.literals[0]!.data.length === 100000);
});
