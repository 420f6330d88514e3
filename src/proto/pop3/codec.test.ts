/*
 * Table tests of the POP3 codec with literal wire strings: the parser
 * (every command, case, argument errors, hostile bytes), the line reader
 * (CRLF and bare LF, split chunks, over-long lines dropped to the next LF),
 * and the response encoder (status codes, CR/LF injection in text,
 * dot-stuffing, TOP extraction).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_COMMAND_LINE_BYTES } from './limits.js';
import { parseAuthResponse, parseCommand } from './parser.js';
import { Pop3LineReader } from './reader.js';
import { dotStuffChunks, encodeContinuation, encodeErr, encodeMultiline, encodeOk, messageTop } from './responses.js';

const parse = (s: string) => parseCommand(Buffer.from(s, 'latin1'));

describe('parseCommand', () => {
  const good: Array<[string, unknown]> = [
    ['CAPA', { name: 'CAPA' }],
    ['capa', { name: 'CAPA' }],
    ['StLs', { name: 'STLS' }],
    ['STAT', { name: 'STAT' }],
    ['NOOP', { name: 'NOOP' }],
    ['RSET', { name: 'RSET' }],
    ['QUIT', { name: 'QUIT' }],
    ['QUIT ', { name: 'QUIT' }],
    ['USER bob@example.com', { name: 'USER', user: 'bob@example.com' }],
    ['PASS secret with spaces ', { name: 'PASS', password: 'secret with spaces ' }],
    ['pass x', { name: 'PASS', password: 'x' }],
    ['LIST', { name: 'LIST', msg: null }],
    ['LIST ', { name: 'LIST', msg: null }],
    ['LIST 2', { name: 'LIST', msg: 2 }],
    ['UIDL', { name: 'UIDL', msg: null }],
    ['uidl 17', { name: 'UIDL', msg: 17 }],
    ['RETR 1', { name: 'RETR', msg: 1 }],
    ['DELE 0', { name: 'DELE', msg: 0 }],
    ['TOP 1 0', { name: 'TOP', msg: 1, lines: 0 }],
    ['TOP 3 10', { name: 'TOP', msg: 3, lines: 10 }],
    ['RETR 2147483647', { name: 'RETR', msg: 2147483647 }],
    ['AUTH', { name: 'AUTH', mechanism: null, initialResponse: null }],
    ['AUTH plain', { name: 'AUTH', mechanism: 'PLAIN', initialResponse: null }],
    ['AUTH PLAIN AGJvYgBwdw==', { name: 'AUTH', mechanism: 'PLAIN', initialResponse: 'AGJvYgBwdw==' }],
    ['AUTH PLAIN =', { name: 'AUTH', mechanism: 'PLAIN', initialResponse: '' }],
    ['AUTH X-OAUTH2', { name: 'AUTH', mechanism: 'X-OAUTH2', initialResponse: null }],
  ];
  for (const [wire, command] of good) {
    it(`parses ${JSON.stringify(wire)}`, () => assert.deepEqual(parse(wire), { ok: true, command }));
  }
  const bad: Array<[string, string]> = [
    ['', 'unknown-command'],
    ['APOP bob 0123456789abcdef0123456789abcdef', 'unknown-command'],
    ['LAST', 'unknown-command'],
    ['XYZZY', 'unknown-command'],
    [' QUIT', 'unknown-command'],
    ['CAPA now', 'syntax'],
    ['STAT 1', 'syntax'],
    ['USER', 'syntax'],
    ['USER a b', 'syntax'],
    ['PASS', 'syntax'],
    ['PASS ', 'syntax'],
    ['LIST 1 2', 'syntax'],
    ['LIST -1', 'syntax'],
    ['LIST +1', 'syntax'],
    ['LIST 1x', 'syntax'],
    ['LIST  1', 'syntax'],
    ['RETR', 'syntax'],
    ['RETR 2147483648', 'syntax'],
    ['RETR 00000000001', 'syntax'],
    ['RETR 99999999999999999999', 'syntax'],
    ['DELE one', 'syntax'],
    ['TOP 1', 'syntax'],
    ['TOP 1 -1', 'syntax'],
    ['TOP 1 2 3', 'syntax'],
    ['AUTH PLAIN not*base64', 'syntax'],
    ['AUTH PLAIN AGJvYgBwdw= x', 'syntax'],
    ['AUTH PLAIN abc', 'syntax'],
    ['AUTH PL@IN', 'syntax'],
    ['AUTH ABCDEFGHIJKLMNOPQRSTU', 'syntax'],
    ['USER bob\u0000x', 'bad-bytes'],
    ['PASS a\rb', 'bad-bytes'],
    ['USER \u001b[2J', 'bad-bytes'],
  ];
  for (const [wire, code] of bad) {
    it(`refuses ${JSON.stringify(wire)} as ${code}`, () => {
      const r = parse(wire);
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.code, code);
    });
  }
  it('refuses invalid UTF-8 and accepts valid UTF-8 in PASS', () => {
    assert.deepEqual(parseCommand(Buffer.from([0x50, 0x41, 0x53, 0x53, 0x20, 0xc3, 0x28])), { ok: false, code: 'bad-bytes', message: 'invalid UTF-8' });
    assert.deepEqual(parseCommand(Buffer.from('PASS pässwörd', 'utf8')), { ok: true, command: { name: 'PASS', password: 'pässwörd' } });
  });
});

describe('parseAuthResponse', () => {
  it('decodes base64, cancels on *, refuses junk', () => {
    assert.deepEqual(parseAuthResponse(Buffer.from('AGJvYgBwdw==')), { kind: 'data', data: Buffer.from('\0bob\0pw') });
    assert.deepEqual(parseAuthResponse(Buffer.from('')), { kind: 'data', data: Buffer.alloc(0) });
    assert.deepEqual(parseAuthResponse(Buffer.from('*')), { kind: 'cancel' });
    assert.deepEqual(parseAuthResponse(Buffer.from('AGJvYgBwdw')), { kind: 'invalid' });
    assert.deepEqual(parseAuthResponse(Buffer.from('AGJv YgBw')), { kind: 'invalid' });
  });
});

describe('Pop3LineReader', () => {
  const drain = (r: Pop3LineReader) => {
    const out: string[] = [];
    for (let e = r.next(); e; e = r.next()) out.push(e.kind === 'line' ? e.line.toString('latin1') : '<too-long>');
    return out;
  };
  it('splits pipelined commands on CRLF and bare LF, across chunks', () => {
    const r = new Pop3LineReader(64);
    r.push(Buffer.from('STAT\r\nLIST\nUI'));
    assert.deepEqual(drain(r), ['STAT', 'LIST']);
    r.push(Buffer.from('DL 1\r'));
    assert.deepEqual(drain(r), []);
    r.push(Buffer.from('\nQUIT\r\n'));
    assert.deepEqual(drain(r), ['UIDL 1', 'QUIT']);
    assert.equal(r.buffered, 0);
  });
  it('drops an over-long line up to its LF without buffering it, then goes on', () => {
    const r = new Pop3LineReader(16);
    r.push(Buffer.from('USER ' + 'a'.repeat(20)));
    assert.deepEqual(drain(r), ['<too-long>']);
    assert.equal(r.buffered, 0);
    r.push(Buffer.from('a'.repeat(1000)));
    assert.deepEqual(drain(r), []);
    assert.equal(r.buffered, 0);
    r.push(Buffer.from('aaa\r\nNOOP\r\n'));
    assert.deepEqual(drain(r), ['NOOP']);
  });
  it('reports a complete line over the limit', () => {
    const r = new Pop3LineReader(MAX_COMMAND_LINE_BYTES);
    r.push(Buffer.from(`PASS ${'x'.repeat(MAX_COMMAND_LINE_BYTES)}\r\nQUIT\r\n`));
    assert.deepEqual(drain(r), ['<too-long>', 'QUIT']);
  });
  it('clear() forgets buffered plaintext (STLS injection)', () => {
    const r = new Pop3LineReader(64);
    r.push(Buffer.from('STLS\r\nUSER evil\r\n'));
    assert.deepEqual(r.next(), { kind: 'line', line: Buffer.from('STLS') });
    r.clear();
    assert.equal(r.next(), null);
  });
});

describe('responses', () => {
  it('formats status lines with RFC 2449 codes', () => {
    assert.equal(encodeOk('2 320').toString(), '+OK 2 320\r\n');
    assert.equal(encodeOk('').toString(), '+OK\r\n');
    assert.equal(encodeErr('Mailbox locked', 'IN-USE').toString(), '-ERR [IN-USE] Mailbox locked\r\n');
    assert.equal(encodeErr('Try later', 'SYS/TEMP').toString(), '-ERR [SYS/TEMP] Try later\r\n');
    assert.equal(encodeErr('Authentication failed', 'AUTH').toString(), '-ERR [AUTH] Authentication failed\r\n');
  });
  it('never lets text inject a line', () => {
    assert.equal(encodeErr('bad\r\n+OK forged').toString(), '-ERR bad +OK forged\r\n');
    assert.equal(encodeMultiline('x', ['a\r\n.', '.hidden']).toString(), '+OK x\r\na .\r\n..hidden\r\n.\r\n');
    assert.equal(encodeContinuation('ab\r\nc=').toString(), '+ abc=\r\n');
    assert.equal(encodeContinuation('').toString(), '+ \r\n');
  });
  it('caps response text', () => {
    const line = encodeErr('é'.repeat(1000)).toString('utf8');
    assert.ok(Buffer.byteLength(line) <= 512);
    assert.ok(!line.includes('\uFFFD'));
  });
  it('formats a CAPA list', () => {
    assert.equal(encodeMultiline('Capability list follows', ['TOP', 'UIDL', 'SASL PLAIN']).toString(), '+OK Capability list follows\r\nTOP\r\nUIDL\r\nSASL PLAIN\r\n.\r\n');
  });
  const stuff = (s: string, chunk = 1 << 16) => Buffer.concat([...dotStuffChunks(Buffer.from(s, 'latin1'), chunk)]).toString('latin1');
  const table: Array<[string, string]> = [
    ['Subject: x\r\n\r\nbody\r\n', 'Subject: x\r\n\r\nbody\r\n'],
    ['a\r\n.\r\nb\r\n', 'a\r\n..\r\nb\r\n'],
    ['.leading\r\n..two\r\n', '..leading\r\n...two\r\n'],
    ['mid.dle .\r\n', 'mid.dle .\r\n'],
    ['bare\nlf\n', 'bare\r\nlf\r\n'],
    ['no final newline', 'no final newline\r\n'],
    ['.', '..\r\n'],
    ['', ''],
    ['\r\n', '\r\n'],
    ['x\r\n.', 'x\r\n..\r\n'],
    ['cr\ronly\r\n', 'cr\ronly\r\n'],
  ];
  for (const [input, wire] of table) {
    it(`dot-stuffs ${JSON.stringify(input)}`, () => {
      assert.equal(stuff(input), wire);
      assert.equal(stuff(input, 1), wire, 'same bytes in one-line chunks');
    });
  }
  it('yields bounded chunks for a large message', () => {
    const big = Buffer.from('.line of text\r\n'.repeat(100_000));
    let total = 0;
    for (const c of dotStuffChunks(big, 65536)) {
      assert.ok(c.length < 65536 + 100);
      total += c.length;
    }
    assert.equal(total, big.length + 100_000);
  });
  const top: Array<[string, number, string]> = [
    ['A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n', 0, 'A: 1\r\nB: 2\r\n\r\n'],
    ['A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n', 2, 'A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\n'],
    ['A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n', 99, 'A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n'],
    ['A: 1\r\n\r\nl1', 5, 'A: 1\r\n\r\nl1'],
    ['A: 1\r\nno body', 3, 'A: 1\r\nno body'],
    ['\r\nbody only\r\nx\r\n', 1, '\r\nbody only\r\n'],
    ['A: 1\n\nl1\nl2\n', 1, 'A: 1\n\nl1\n'],
  ];
  for (const [input, n, want] of top) {
    it(`TOP ${n} of ${JSON.stringify(input)}`, () => assert.equal(messageTop(Buffer.from(input), n).toString(), want));
  }
});
