/*
 * Encoder tests with literal wire strings for every response form, and a
 * round trip: values the encoder writes are read back by the parser unchanged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compressSequence, encodeContinuation, encodeMailboxName, encodeTagged, encodeUntagged, encodeUntaggedStatus,
  encodeValue, formatSequenceSet, type ResponseCode,
} from './encoder.js';
import {
  encodeCapability, encodeEnabled, encodeEsearch, encodeExists, encodeExpunge, encodeFetch, encodeFlags, encodeId,
  encodeList, encodeMetadata, encodeMetadataChanged, encodeNamespace, encodeQuota, encodeQuotaRoot, encodeSearch, encodeStatus, encodeThread,
  encodeVanished,
} from './responses.js';
import { formatFetchItemName, formatInternalDate, formatSection, toPartialRange, toSectionSpec } from './fetch-data.js';
import type { PartialRange, SectionSpec } from '../../mime/imap-sections.js';
import { FIXTURES, render } from '../../mime/imap-fixtures.test.js';
import { bodyStructure, envelope } from '../../mime/imap-structure.js';
import { indexMessage } from '../../mime/index.js';
import { ImapFramer } from './framer.js';
import { POST_AUTH_FRAMER_LIMITS } from './limits.js';
import { parseCommand } from './parser.js';

const s = (b: Buffer) => b.toString('utf8');
const RAW = { utf8: false };
const UTF8 = { utf8: true };

const CODES: Array<[ResponseCode, string]> = [
  [{ code: 'UIDNEXT', value: 4392 }, '[UIDNEXT 4392]'],
  [{ code: 'UIDVALIDITY', value: 3857529045 }, '[UIDVALIDITY 3857529045]'],
  [{ code: 'UNSEEN', value: 12 }, '[UNSEEN 12]'],
  [{ code: 'PERMANENTFLAGS', flags: ['\\Deleted', '\\Seen', '\\*'] }, '[PERMANENTFLAGS (\\Deleted \\Seen \\*)]'],
  [{ code: 'APPENDUID', uidValidity: 38505, uids: [3955] }, '[APPENDUID 38505 3955]'],
  [{ code: 'COPYUID', uidValidity: 38505, source: [304, 319, 320, 321], dest: [3956, 3957, 3958, 3959] }, '[COPYUID 38505 304,319:321 3956:3959]'],
  [{ code: 'HIGHESTMODSEQ', value: 715194045007n }, '[HIGHESTMODSEQ 715194045007]'],
  [{ code: 'MODIFIED', set: [7, 9, 8] }, '[MODIFIED 7:9]'],
  [{ code: 'CAPABILITY', capabilities: ['IMAP4rev1', 'IMAP4rev2', 'AUTH=PLAIN'] }, '[CAPABILITY IMAP4rev1 IMAP4rev2 AUTH=PLAIN]'],
  [{ code: 'BADCHARSET', charsets: ['UTF-8'] }, '[BADCHARSET (UTF-8)]'],
  [{ code: 'APPENDLIMIT', value: 67108864 }, '[APPENDLIMIT 67108864]'],
  [{ code: 'METADATA', detail: 'MAXSIZE', value: 1024 }, '[METADATA MAXSIZE 1024]'],
  [{ code: 'MAILBOXID', id: 'F2212ea87-6097' }, '[MAILBOXID (F2212ea87-6097)]'],
  [{ code: 'BADEVENT', events: ['MessageNew', 'MessageExpunge', 'FlagChange'] }, '[BADEVENT (MessageNew MessageExpunge FlagChange)]'],
  [{ code: 'NOTIFICATIONOVERFLOW' }, '[NOTIFICATIONOVERFLOW]'],
  ...(['OVERQUOTA', 'TOOBIG', 'LIMIT', 'CANNOT', 'NONEXISTENT', 'ALREADYEXISTS', 'SERVERBUG', 'CLOSED', 'READ-ONLY', 'READ-WRITE', 'TRYCREATE', 'ALERT', 'AUTHENTICATIONFAILED', 'PRIVACYREQUIRED', 'NOPERM', 'INUSE', 'EXPUNGEISSUED', 'UIDNOTSTICKY', 'NOMODSEQ', 'COMPRESSIONACTIVE', 'USEATTR', 'UNAVAILABLE', 'CLIENTBUG'] as const).map(
    (code) => [{ code }, `[${code}]`] as [ResponseCode, string],
  ),
];

test('tagged and untagged status lines with every response code', () => {
  for (const [code, wire] of CODES) {
    assert.equal(s(encodeTagged('a1', 'OK', 'done', code)), `a1 OK ${wire} done\r\n`);
  }
  assert.equal(s(encodeTagged('a1', 'NO', 'no such mailbox', { code: 'NONEXISTENT' })), 'a1 NO [NONEXISTENT] no such mailbox\r\n');
  assert.equal(s(encodeTagged('a1', 'BAD', 'syntax\r\na2 OK injected')), 'a1 BAD syntax a2 OK injected\r\n');
  assert.equal(s(encodeUntaggedStatus('OK', 'Petrel ready', { code: 'CAPABILITY', capabilities: ['IMAP4rev2'] })), '* OK [CAPABILITY IMAP4rev2] Petrel ready\r\n');
  assert.equal(s(encodeUntaggedStatus('BYE', 'line too long')), '* BYE line too long\r\n');
  assert.equal(s(encodeUntaggedStatus('PREAUTH', 'hi')), '* PREAUTH hi\r\n');
  assert.equal(s(encodeContinuation()), '+ \r\n');
  assert.equal(s(encodeContinuation('idling')), '+ idling\r\n');
  assert.throws(() => encodeTagged('a b', 'OK', 'x'));
  assert.throws(() => encodeTagged('a"', 'OK', 'x'));
});

test('untagged data forms', () => {
  const cases: Array<[Buffer, string]> = [
    [encodeExists(23), '* 23 EXISTS\r\n'],
    [encodeExpunge(3), '* 3 EXPUNGE\r\n'],
    [encodeVanished([41, 43, 44, 45], true), '* VANISHED (EARLIER) 41,43:45\r\n'],
    [encodeVanished([405], false), '* VANISHED 405\r\n'],
    [encodeFlags(['\\Answered', '\\Seen', '$Forwarded']), '* FLAGS (\\Answered \\Seen $Forwarded)\r\n'],
    [encodeCapability(['IMAP4rev1', 'IDLE']), '* CAPABILITY IMAP4rev1 IDLE\r\n'],
    [encodeEnabled(['CONDSTORE']), '* ENABLED CONDSTORE\r\n'],
    [encodeEnabled([]), '* ENABLED\r\n'],
    [encodeList(['\\HasNoChildren', '\\Sent'], '/', 'Sent', RAW), '* LIST (\\HasNoChildren \\Sent) "/" "Sent"\r\n'],
    [encodeList([], '/', 'Entwürfe', RAW), '* LIST () "/" "Entw&APw-rfe"\r\n'],
    [encodeList([], '/', 'Entwürfe', UTF8), '* LIST () "/" "Entwürfe"\r\n'],
    [encodeList(['\\Noselect'], null, '', RAW), '* LIST (\\Noselect) NIL ""\r\n'],
    [encodeList(['\\Subscribed'], '/', 'a', RAW, [{ atom: 'CHILDINFO' }, ['SUBSCRIBED']]), '* LIST (\\Subscribed) "/" "a" (CHILDINFO ("SUBSCRIBED"))\r\n'],
    [encodeStatus('INBOX', [['MESSAGES', 231], ['UIDNEXT', 44292], ['HIGHESTMODSEQ', 7011231777n]], RAW), '* STATUS "INBOX" (MESSAGES 231 UIDNEXT 44292 HIGHESTMODSEQ 7011231777)\r\n'],
    [encodeSearch([2, 84, 882]), '* SEARCH 2 84 882\r\n'],
    [encodeSearch([]), '* SEARCH\r\n'],
    [encodeSearch([2, 10], 917162500n), '* SEARCH 2 10 (MODSEQ 917162500)\r\n'],
    [encodeSearch([5, 3], null, 'SORT'), '* SORT 5 3\r\n'],
    [encodeEsearch('A282', true, { min: 2, count: 3 }), '* ESEARCH (TAG "A282") UID MIN 2 COUNT 3\r\n'],
    [encodeEsearch('a', false, { all: [1, 2, 3, 5], max: 5 }), '* ESEARCH (TAG "a") MAX 5 ALL 1:3,5\r\n'],
    [encodeThread([[2], [3, 6, [4, 23], [44, 7, 96]]]), '* THREAD (2)(3 6 (4 23)(44 7 96))\r\n'],
    [encodeThread([]), '* THREAD\r\n'],
    [encodeNamespace([{ prefix: '', delimiter: '/' }], null, null, RAW), '* NAMESPACE (("" "/")) NIL NIL\r\n'],
    [encodeQuota('', [{ name: 'STORAGE', usage: 10, limit: 512 }]), '* QUOTA "" (STORAGE 10 512)\r\n'],
    [encodeQuotaRoot('INBOX', [''], RAW), '* QUOTAROOT "INBOX" ""\r\n'],
    [encodeId([['name', 'Petrel'], ['version', null]]), '* ID ("name" "Petrel" "version" NIL)\r\n'],
    [encodeId(null), '* ID NIL\r\n'],
    [encodeMetadata('INBOX', [['/private/comment', Buffer.from('My comment')]], RAW), '* METADATA "INBOX" (/private/comment "My comment")\r\n'],
    [encodeMetadata('', [['/shared/x', null]], RAW), '* METADATA "" (/shared/x NIL)\r\n'],
    [encodeMetadata('', [['/private/a"b', Buffer.from('two\r\nlines')]], RAW), '* METADATA "" ("/private/a\\"b" {10}\r\ntwo\r\nlines)\r\n'],
    [encodeMetadata('', [['/private/bin', Buffer.from([0, 1])]], RAW), '* METADATA "" (/private/bin ~{2}\r\n\x00\x01)\r\n'],
    [encodeMetadataChanged('INBOX', ['/private/comment', '/shared/comment'], RAW), '* METADATA "INBOX" /private/comment /shared/comment\r\n'],
    [encodeMetadataChanged('', ['/private/a b'], RAW), '* METADATA "" "/private/a b"\r\n'],
  ];
  for (const [got, want] of cases) assert.equal(s(got), want);
});

test('FETCH responses: strings, literals, literal8, NIL, nested lists', () => {
  const body = Buffer.from('Subject: hi\r\n\r\n');
  assert.equal(
    s(encodeFetch(12, [['UID', 4827313], ['FLAGS', [{ atom: '\\Seen' }]], ['RFC822.SIZE', 44827], ['MODSEQ', [624140003n]]], RAW)),
    '* 12 FETCH (UID 4827313 FLAGS (\\Seen) RFC822.SIZE 44827 MODSEQ (624140003))\r\n',
  );
  assert.equal(s(encodeFetch(1, [['BODY[HEADER]', { literal: body }]], RAW)), '* 1 FETCH (BODY[HEADER] {15}\r\nSubject: hi\r\n\r\n)\r\n');
  assert.equal(s(encodeFetch(1, [['BINARY[1]', { literal: Buffer.from('a\0b'), binary: true }]], RAW)), '* 1 FETCH (BINARY[1] ~{3}\r\na\0b)\r\n');
  assert.equal(
    s(encodeFetch(1, [['ENVELOPE', ['Mon, 7 Feb 1994', 'a "q" \\ b', null, [[null, null, 'x', 'y.org']]]]], RAW)),
    '* 1 FETCH (ENVELOPE ("Mon, 7 Feb 1994" "a \\"q\\" \\\\ b" NIL ((NIL NIL "x" "y.org"))))\r\n',
  );
  assert.equal(
    s(encodeFetch(1, [['BODY[' + formatSection({ part: [1], text: { kind: 'HEADER.FIELDS', fields: ['From', 'To'], not: true } }) + ']', '']], RAW)),
    '* 1 FETCH (BODY[1.HEADER.FIELDS.NOT (FROM TO)] "")\r\n',
  );
});

test('value serialisation chooses atom, quoted or literal', () => {
  assert.equal(s(encodeValue('plain', RAW)), '"plain"');
  assert.equal(s(encodeValue('two\r\nlines', RAW)), '{10}\r\ntwo\r\nlines');
  assert.equal(s(encodeValue('café', RAW)), '{5}\r\ncafé');
  assert.equal(s(encodeValue('café', UTF8)), '"café"');
  assert.equal(s(encodeValue('nul\0', UTF8)), '{4}\r\nnul\0');
  assert.equal(s(encodeValue(null, RAW)), 'NIL');
  assert.equal(s(encodeValue([], RAW)), '()');
  assert.equal(s(encodeValue({ sequence: [5, 1, 2, 3, 7, 3] }, RAW)), '1:3,5,7');
  assert.equal(s(encodeValue({ mailbox: '台北' }, RAW)), '"&U,BTFw-"');
  assert.throws(() => encodeValue({ atom: 'two words' }, RAW));
  assert.throws(() => encodeValue(-1, RAW));
});

test('sequence-set compression', () => {
  assert.equal(compressSequence([1, 2, 3, 4, 5, 7]), '1:5,7');
  assert.equal(compressSequence([]), '');
  assert.equal(compressSequence([9, 3, 4]), '3:4,9');
  assert.equal(compressSequence([9, 3, 4], false), '9,3:4');
  assert.equal(formatSequenceSet({ kind: 'saved' }), '$');
  assert.equal(formatSequenceSet({ kind: 'ranges', ranges: [{ from: 1, to: '*' }, { from: 4, to: 4 }] }), '1:*,4');
  assert.equal(encodeMailboxName('Entwürfe', RAW), 'Entw&APw-rfe');
});

function parseOne(wire: Buffer, utf8: boolean) {
  const f = new ImapFramer(POST_AUTH_FRAMER_LIMITS);
  f.push(wire);
  for (let e = f.next(); e; e = f.next()) if (e.kind === 'command') return parseCommand(e.unit, { utf8 });
  throw new Error('no command');
}

test('round trip: encoder output parses back to the same values', () => {
  let seed = 99;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const alphabet = ['a', 'Z', ' ', '"', '\\', '&', '%', '(', ')', '{', '}', 'é', '日', '\r\n', '😀', '-', '/'];
  for (let i = 0; i < 300; i++) {
    let v = '';
    for (let n = rnd() % 10; n > 0; n--) v += alphabet[rnd() % alphabet.length];
    const utf8 = rnd() % 2 === 0;
    const opts = { utf8 };
    // Strings (user and password) through LOGIN.
    const login = Buffer.concat([Buffer.from('a LOGIN '), encodeValue(v, opts), Buffer.from(' '), encodeValue(v + 'x', opts), Buffer.from('\r\n')]);
    const r1 = parseOne(login, utf8);
    assert.ok(r1.ok && r1.command.name === 'LOGIN', JSON.stringify(v));
    if (r1.ok && r1.command.name === 'LOGIN') assert.deepEqual(r1.command.args, { username: v, password: v + 'x' });
    // Mailbox names through SELECT, without CR/LF (not valid in names).
    const name = v.replace(/\r\n/g, '');
    const sel = Buffer.concat([Buffer.from('a SELECT '), encodeValue({ mailbox: name }, opts), Buffer.from('\r\n')]);
    const r2 = parseOne(sel, utf8);
    assert.ok(r2.ok && r2.command.name === 'SELECT', JSON.stringify(name));
    if (r2.ok && r2.command.name === 'SELECT') assert.equal(r2.command.args.mailbox, name.toUpperCase() === 'INBOX' ? 'INBOX' : name);
    // Sequence sets through FETCH.
    const nums = Array.from({ length: 1 + (rnd() % 20) }, () => 1 + (rnd() % 50));
    const r3 = parseOne(Buffer.from(`a FETCH ${compressSequence(nums)} FLAGS\r\n`), utf8);
    assert.ok(r3.ok && r3.command.name === 'FETCH');
    if (r3.ok && r3.command.name === 'FETCH') assert.equal(formatSequenceSet(r3.command.args.set), compressSequence(nums));
  }
});

test('untagged values escape CR/LF in strings so no response can be injected', () => {
  const out = s(encodeUntagged([{ atom: 'LIST' }, [], '/', 'evil\r\n* BYE'], RAW));
  assert.equal(out, '* LIST () "/" {11}\r\nevil\r\n* BYE\r\n');
});

test('FETCH response names, INTERNALDATE, and ENVELOPE/BODYSTRUCTURE trees from src/mime', () => {
  assert.equal(formatFetchItemName({ kind: 'BODY[]', section: { part: [1, 2], text: { kind: 'TEXT' } }, peek: true, partial: { offset: 10, length: 5 } }), 'BODY[1.2.TEXT]<10>');
  assert.equal(formatFetchItemName({ kind: 'BINARY[]', part: [3], peek: true, partial: null }), 'BINARY[3]');
  assert.equal(formatFetchItemName({ kind: 'BINARY.SIZE', part: [] }), 'BINARY.SIZE[]');
  assert.equal(formatFetchItemName({ kind: 'RFC822.SIZE' }), 'RFC822.SIZE');
  assert.equal(formatInternalDate(new Date('1996-07-17T09:44:25Z'), -420), '17-Jul-1996 02:44:25 -0700');
  assert.equal(formatInternalDate(new Date('2024-01-05T00:00:00Z')), '05-Jan-2024 00:00:00 +0000');
  // src/mime builds ENVELOPE/BODYSTRUCTURE/BODY as its own value tree; the encoder must write it
  // exactly as that module's reference rendering does whenever no literal is needed.
  let compared = 0;
  for (const [name, raw] of Object.entries(FIXTURES)) {
    const index = indexMessage(Buffer.from(raw, 'latin1'));
    for (const value of [bodyStructure(index, true, { utf8: true }), bodyStructure(index, false, { utf8: true }), envelope(index.envelope)]) {
      const wire = s(encodeValue(value, UTF8));
      if (/\}\r\n/.test(wire)) continue;
      assert.equal(wire, render(value), name);
      compared++;
    }
  }
  assert.ok(compared > 10);
  const multi = s(encodeValue([{ run: [[null, null, 'a', 'x.org'], [null, null, 'b', 'x.org']] }], RAW));
  assert.equal(multi, '((NIL NIL "a" "x.org")(NIL NIL "b" "x.org"))');
});

test('parsed sections and partials convert to the shapes src/mime reads', () => {
  const spec: SectionSpec = toSectionSpec({ part: [2], text: { kind: 'HEADER.FIELDS', fields: ['From'], not: true } });
  assert.deepEqual(spec, { part: [2], kind: 'HEADER.FIELDS.NOT', fields: ['From'] });
  assert.deepEqual(toSectionSpec({ part: [], text: null }), { part: [] });
  assert.deepEqual(toSectionSpec({ part: [1], text: { kind: 'MIME' } }), { part: [1], kind: 'MIME' });
  const range: PartialRange = toPartialRange({ offset: 5, length: 10 });
  assert.deepEqual(range, { start: 5, length: 10 });
});
