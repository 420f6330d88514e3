/*
 * Table tests of the ManageSieve codec with literal wire strings: the
 * framer (CRLF and bare LF, `{n+}` and `{n}` literals split anywhere,
 * oversized literals skipped without being kept, over-long lines, the
 * STARTTLS purge), the parser (every command, quoting, escapes, argument
 * errors, hostile bytes), and the response encoder (codes, quoting,
 * literals for what cannot be quoted, CR/LF injection in text).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_LINE_BYTES, MAX_PRE_AUTH_LITERAL_BYTES, MAX_SKIPPED_LITERAL_BYTES } from './limits.js';
import { parseAuthResponse, parseCommand } from './parser.js';
import { ManageSieveReader, type FrameEvent } from './reader.js';
import { encodeBye, encodeCapabilities, encodeChallenge, encodeNo, encodeOk, encodeScriptBody, encodeScriptLine, encodeString } from './responses.js';

/** Every event the reader gives for the wire bytes, pushed in chunks of `chunk` bytes. */
function frames(wire: string | Buffer, chunk = 1 << 20, limits?: { maxLiteralBytes?: number; maxLineBytes?: number }): FrameEvent[] {
  const bytes = typeof wire === 'string' ? Buffer.from(wire, 'utf8') : wire;
  const r = new ManageSieveReader(limits);
  const out: FrameEvent[] = [];
  for (let i = 0; i < bytes.length; i += chunk) {
    r.push(bytes.subarray(i, i + chunk));
    for (let e = r.next(); e; e = r.next()) out.push(e);
  }
  return out;
}

/** The one command in the wire bytes, parsed. */
function parse(wire: string) {
  const events = frames(wire);
  assert.equal(events.length, 1, JSON.stringify(events));
  const e = events[0]!;
  assert.equal(e.kind, 'command');
  return parseCommand((e as Extract<FrameEvent, { kind: 'command' }>).parts);
}

const b = (s: string) => Buffer.from(s, 'utf8');

describe('parseCommand', () => {
  const good: Array<[string, unknown]> = [
    ['CAPABILITY\r\n', { name: 'CAPABILITY' }],
    ['capability\r\n', { name: 'CAPABILITY' }],
    ['StartTls\r\n', { name: 'STARTTLS' }],
    ['LOGOUT\n', { name: 'LOGOUT' }],
    ['LISTSCRIPTS\r\n', { name: 'LISTSCRIPTS' }],
    ['UNAUTHENTICATE\r\n', { name: 'UNAUTHENTICATE' }],
    ['NOOP\r\n', { name: 'NOOP', tag: null }],
    ['NOOP "STARTTLS-SYNC-42"\r\n', { name: 'NOOP', tag: b('STARTTLS-SYNC-42') }],
    ['AUTHENTICATE "PLAIN"\r\n', { name: 'AUTHENTICATE', mechanism: 'PLAIN', initialResponse: null }],
    ['AUTHENTICATE "plain" "AGJvYgBwdw=="\r\n', { name: 'AUTHENTICATE', mechanism: 'PLAIN', initialResponse: b('AGJvYgBwdw==') }],
    ['AUTHENTICATE "PLAIN" {12+}\r\nAGJvYgBwdw==\r\n', { name: 'AUTHENTICATE', mechanism: 'PLAIN', initialResponse: b('AGJvYgBwdw==') }],
    ['AUTHENTICATE {5+}\r\nPLAIN "AGJvYgBwdw=="\r\n', { name: 'AUTHENTICATE', mechanism: 'PLAIN', initialResponse: b('AGJvYgBwdw==') }],
    ['HAVESPACE "myscript" 999999\r\n', { name: 'HAVESPACE', script: b('myscript'), size: 999999 }],
    ['HAVESPACE "x" 4294967295\r\n', { name: 'HAVESPACE', script: b('x'), size: 4294967295 }],
    ['PUTSCRIPT "foo" {31+}\r\n#comment\r\nInvalidSieveCommand\r\n\r\n', { name: 'PUTSCRIPT', script: b('foo'), content: b('#comment\r\nInvalidSieveCommand\r\n') }],
    ['PUTSCRIPT "foo" {5}\r\nkeep;\r\n', { name: 'PUTSCRIPT', script: b('foo'), content: b('keep;') }],
    ['PUTSCRIPT {3+}\r\nfoo {5+}\r\nkeep;\r\n', { name: 'PUTSCRIPT', script: b('foo'), content: b('keep;') }],
    ['PUTSCRIPT "foo" "keep;"\r\n', { name: 'PUTSCRIPT', script: b('foo'), content: b('keep;') }],
    ['PUTSCRIPT "a\\"b\\\\c" {0+}\r\n\r\n', { name: 'PUTSCRIPT', script: b('a"b\\c'), content: b('') }],
    ['CHECKSCRIPT {9+}\r\nstop;\r\n\r\n\r\n', { name: 'CHECKSCRIPT', content: b('stop;\r\n\r\n') }],
    ['GETSCRIPT "Ünïcode"\r\n', { name: 'GETSCRIPT', script: b('Ünïcode') }],
    ['SETACTIVE ""\r\n', { name: 'SETACTIVE', script: b('') }],
    ['DELETESCRIPT "foo"\r\n', { name: 'DELETESCRIPT', script: b('foo') }],
    ['RENAMESCRIPT "old" "new"\r\n', { name: 'RENAMESCRIPT', from: b('old'), to: b('new') }],
    ['RENAMESCRIPT "old" {3+}\r\nnew\r\n', { name: 'RENAMESCRIPT', from: b('old'), to: b('new') }],
  ];
  for (const [wire, command] of good) {
    it(`parses ${JSON.stringify(wire)}`, () => assert.deepEqual(parse(wire), { ok: true, command }));
  }
  const bad: Array<[string, string]> = [
    ['\r\n', 'unknown-command'],
    ['XYZZY\r\n', 'unknown-command'],
    ['"CAPABILITY"\r\n', 'unknown-command'],
    ['LOGIN "a" "b"\r\n', 'unknown-command'],
    ['CAPABILITY now\r\n', 'syntax'],
    ['CAPABILITY \r\n', 'syntax'],
    [' CAPABILITY\r\n', 'syntax'],
    ['GETSCRIPT  "x"\r\n', 'syntax'],
    ['GETSCRIPT\r\n', 'syntax'],
    ['GETSCRIPT x\r\n', 'syntax'],
    ['GETSCRIPT "x" "y"\r\n', 'syntax'],
    ['GETSCRIPT "unterminated\r\n', 'syntax'],
    ['GETSCRIPT "bad\\escape"\r\n', 'syntax'],
    ['GETSCRIPT "nul\u0000"\r\n', 'syntax'],
    ['GETSCRIPT "a""b"\r\n', 'syntax'],
    ['HAVESPACE "x" 4294967296\r\n', 'syntax'],
    ['HAVESPACE "x" 00000000001\r\n', 'syntax'],
    ['HAVESPACE "x" -1\r\n', 'syntax'],
    ['HAVESPACE "x" 12ab\r\n', 'syntax'],
    ['HAVESPACE "x" "12"\r\n', 'syntax'],
    ['PUTSCRIPT "foo"\r\n', 'syntax'],
    ['PUTSCRIPT "foo"{5+}\r\nkeep;\r\n', 'syntax'],
    ['PUTSCRIPT "foo" {5+}\r\nkeep; "x"\r\n', 'syntax'],
    ['PUTSCRIPT "foo" {5+}\r\nkeep;"x"\r\n', 'syntax'],
    ['AUTHENTICATE PLAIN\r\n', 'syntax'],
    ['AUTHENTICATE "PL@IN"\r\n', 'syntax'],
    ['AUTHENTICATE ""\r\n', 'syntax'],
    ['AUTHENTICATE "ABCDEFGHIJKLMNOPQRSTU"\r\n', 'syntax'],
    ['AUTHENTICATE "PLAIN" "a" "b"\r\n', 'syntax'],
    [`NOOP "${'t'.repeat(1025)}"\r\n`, 'syntax'],
  ];
  for (const [wire, code] of bad) {
    it(`refuses ${JSON.stringify(wire.slice(0, 60))} as ${code}`, () => {
      const r = parse(wire);
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.code, code);
    });
  }
});

describe('parseAuthResponse', () => {
  const one = (wire: string) => parseAuthResponse((frames(wire)[0] as Extract<FrameEvent, { kind: 'command' }>).parts);
  it('takes a quoted or literal string of base64, "*" cancels, anything else is invalid', () => {
    assert.deepEqual(one('"AGJvYgBwdw=="\r\n'), { kind: 'data', data: Buffer.from('\0bob\0pw') });
    assert.deepEqual(one('{12+}\r\nAGJvYgBwdw==\r\n'), { kind: 'data', data: Buffer.from('\0bob\0pw') });
    assert.deepEqual(one('""\r\n'), { kind: 'data', data: Buffer.alloc(0) });
    assert.deepEqual(one('"*"\r\n'), { kind: 'cancel' });
    assert.deepEqual(one('*\r\n'), { kind: 'invalid' });
    assert.deepEqual(one('AGJvYgBwdw==\r\n'), { kind: 'invalid' });
    assert.deepEqual(one('"AGJvYgBwdw"\r\n'), { kind: 'invalid' });
    assert.deepEqual(one('"AGJv" "YgBw"\r\n'), { kind: 'invalid' });
  });
});

describe('ManageSieveReader', () => {
  const wire = 'CAPABILITY\r\nPUTSCRIPT "s" {12+}\r\nkeep;\r\nstop;\r\nLOGOUT\r\n';
  const expected = [
    { kind: 'command', parts: [{ kind: 'text', text: Buffer.from('CAPABILITY') }] },
    { kind: 'command', parts: [{ kind: 'text', text: Buffer.from('PUTSCRIPT "s" ') }, { kind: 'literal', data: Buffer.from('keep;\r\nstop;') }, { kind: 'text', text: Buffer.from('') }] },
    { kind: 'command', parts: [{ kind: 'text', text: Buffer.from('LOGOUT') }] },
  ];
  for (const chunk of [1, 2, 3, 7, 1000]) {
    it(`frames pipelined commands with a literal holding CRLF, in ${chunk}-byte chunks`, () => assert.deepEqual(frames(wire, chunk), expected));
  }

  it('skips a literal above the limit without keeping it, and reports it once with the command word', () => {
    const big = 'x'.repeat(MAX_PRE_AUTH_LITERAL_BYTES + 1);
    const r = new ManageSieveReader();
    r.push(Buffer.from(`putscript "s" {${big.length}+}\r\n`));
    assert.equal(r.next(), null);
    let max = 0;
    for (let i = 0; i < big.length; i += 1000) {
      r.push(Buffer.from(big.slice(i, i + 1000)));
      assert.equal(r.next(), null);
      max = Math.max(max, r.buffered);
    }
    assert.ok(max <= 1000, `held ${max} bytes of a skipped literal`);
    r.push(Buffer.from('\r\nNOOP\r\n'));
    assert.deepEqual(r.next(), { kind: 'literal-too-large', size: big.length, keyword: 'PUTSCRIPT' });
    assert.deepEqual(r.next(), { kind: 'command', parts: [{ kind: 'text', text: Buffer.from('NOOP') }] });
  });

  it('takes larger literals once the limit is raised (after login)', () => {
    assert.deepEqual(frames('CHECKSCRIPT {10+}\r\n0123456789\r\n', 4, { maxLiteralBytes: 9 }).map((e) => e.kind), ['literal-too-large']);
    assert.deepEqual(frames('CHECKSCRIPT {10+}\r\n0123456789\r\n', 4, { maxLiteralBytes: 10 }).map((e) => e.kind), ['command']);
  });

  it('ends the connection for a literal too large even to skip', () => {
    assert.deepEqual(frames(`PUTSCRIPT "s" {${MAX_SKIPPED_LITERAL_BYTES + 1}+}\r\nxxx`), [{ kind: 'fatal', reason: 'literal too large' }]);
    assert.deepEqual(frames('PUTSCRIPT "s" {9999999999+}\r\nNOOP\r\n'), [{ kind: 'fatal', reason: 'literal too large' }]);
  });

  it('drops a command with more than four literals, keeping the framing', () => {
    const e = frames('RENAMESCRIPT {1+}\r\na {1+}\r\nb {1+}\r\nc {1+}\r\nd {1+}\r\ne\r\nNOOP\r\n');
    assert.deepEqual(e.map((x) => x.kind), ['literal-too-large', 'command']);
  });

  it('drops an over-long line up to its LF without buffering it, then goes on', () => {
    const r = new ManageSieveReader({ maxLineBytes: 16 });
    r.push(Buffer.from('GETSCRIPT "' + 'a'.repeat(20)));
    assert.deepEqual(r.next(), { kind: 'too-long' });
    assert.equal(r.buffered, 0);
    r.push(Buffer.from('a'.repeat(1000)));
    assert.equal(r.next(), null);
    assert.equal(r.buffered, 0);
    r.push(Buffer.from('"\r\nNOOP\r\n'));
    assert.deepEqual(r.next(), { kind: 'command', parts: [{ kind: 'text', text: Buffer.from('NOOP') }] });
    assert.deepEqual(frames(`NOOP "${'x'.repeat(MAX_LINE_BYTES)}"\r\nLOGOUT\r\n`).map((x) => x.kind), ['too-long', 'command']);
  });

  it('clear() forgets buffered plaintext and a half-read literal (STARTTLS injection)', () => {
    const r = new ManageSieveReader();
    r.push(Buffer.from('STARTTLS\r\nAUTHENTICATE "PLAIN" {12+}\r\nAGJv'));
    assert.deepEqual(r.next(), { kind: 'command', parts: [{ kind: 'text', text: Buffer.from('STARTTLS') }] });
    r.clear();
    assert.equal(r.next(), null);
    r.push(Buffer.from('CAPABILITY\r\n'));
    assert.deepEqual(r.next(), { kind: 'command', parts: [{ kind: 'text', text: Buffer.from('CAPABILITY') }] });
  });
});

describe('responses', () => {
  const s = (buf: Buffer) => buf.toString('utf8');
  it('formats OK, NO and BYE with RFC 5804 codes and quoted text', () => {
    assert.equal(s(encodeOk()), 'OK\r\n');
    assert.equal(s(encodeOk('Logged in.')), 'OK "Logged in."\r\n');
    assert.equal(s(encodeNo('Script too large', 'QUOTA/MAXSIZE')), 'NO (QUOTA/MAXSIZE) "Script too large"\r\n');
    assert.equal(s(encodeNo('Too many scripts', 'QUOTA/MAXSCRIPTS')), 'NO (QUOTA/MAXSCRIPTS) "Too many scripts"\r\n');
    assert.equal(s(encodeNo('You may not delete an active script', 'ACTIVE')), 'NO (ACTIVE) "You may not delete an active script"\r\n');
    assert.equal(s(encodeNo('There is no script by that name', 'NONEXISTENT')), 'NO (NONEXISTENT) "There is no script by that name"\r\n');
    assert.equal(s(encodeNo('A script with that name already exists', 'ALREADYEXISTS')), 'NO (ALREADYEXISTS) "A script with that name already exists"\r\n');
    assert.equal(s(encodeOk('line 1: unused', 'WARNINGS')), 'OK (WARNINGS) "line 1: unused"\r\n');
    assert.equal(s(encodeNo('Try again later', 'TRYLATER')), 'NO (TRYLATER) "Try again later"\r\n');
    assert.equal(s(encodeNo('Use STARTTLS first', 'ENCRYPT-NEEDED')), 'NO (ENCRYPT-NEEDED) "Use STARTTLS first"\r\n');
    assert.equal(s(encodeOk('Done', { name: 'TAG', arg: 'STARTTLS-SYNC-42' })), 'OK (TAG "STARTTLS-SYNC-42") "Done"\r\n');
    assert.equal(s(encodeOk('Done', { name: 'TAG', arg: Buffer.from('a\r\nb') })), 'OK (TAG {4}\r\na\r\nb) "Done"\r\n');
    assert.equal(s(encodeBye('Server shutting down', 'TRYLATER')), 'BYE (TRYLATER) "Server shutting down"\r\n');
  });

  it('never lets text inject a line, and escapes quotes and backslashes', () => {
    assert.equal(s(encodeNo('bad "name"\r\nOK forged \\')), 'NO "bad \\"name\\" OK forged \\\\"\r\n');
    assert.ok(Buffer.byteLength(s(encodeNo('é'.repeat(2000)))) < 1100);
    assert.ok(!s(encodeNo('é'.repeat(2000))).includes('\uFFFD'));
  });

  it('quotes what can be quoted and sends the rest as a literal, byte for byte', () => {
    assert.equal(s(encodeString('main')), '"main"');
    assert.equal(s(encodeString('a"b\\c')), '"a\\"b\\\\c"');
    assert.equal(s(encodeString('Ünïcode')), '"Ünïcode"');
    assert.equal(s(encodeString('two\r\nlines')), '{10}\r\ntwo\r\nlines');
    assert.deepEqual(encodeString(Buffer.from([0xff, 0x41])), Buffer.concat([Buffer.from('{2}\r\n'), Buffer.from([0xff, 0x41])]));
    assert.equal(s(encodeString('x'.repeat(1025))), `{1025}\r\n${'x'.repeat(1025)}`);
  });

  it('formats the capability listing, LISTSCRIPTS lines, a GETSCRIPT body and a challenge', () => {
    assert.equal(s(encodeCapabilities([['IMPLEMENTATION', 'Petrel'], ['SASL', ''], ['SIEVE', 'fileinto vacation'], ['STARTTLS'], ['VERSION', '1.0']])), '"IMPLEMENTATION" "Petrel"\r\n"SASL" ""\r\n"SIEVE" "fileinto vacation"\r\n"STARTTLS"\r\n"VERSION" "1.0"\r\n');
    assert.equal(s(encodeScriptLine('summer_script', false)), '"summer_script"\r\n');
    assert.equal(s(encodeScriptLine('vacation', true)), '"vacation" ACTIVE\r\n');
    assert.equal(s(encodeScriptBody(Buffer.from('keep;\r\n'))), '{7}\r\nkeep;\r\n\r\n');
    assert.equal(s(encodeChallenge('')), '""\r\n');
    assert.equal(s(encodeChallenge('abc\r\n=')), '"abc="\r\n');
  });
});
