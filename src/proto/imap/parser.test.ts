/*
 * Table-driven parser tests with literal wire strings: every command form the
 * codec supports, then the errors a hostile or broken client produces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImapFramer } from './framer.js';
import { POST_AUTH_FRAMER_LIMITS } from './limits.js';
import { parseCommand, type ParseResult } from './parser.js';
import { allowedIn, COMMANDS, lookupCommand } from './commands.js';

function parseWire(wire: string | Buffer, utf8 = false): ParseResult {
  const f = new ImapFramer(POST_AUTH_FRAMER_LIMITS);
  f.push(typeof wire === 'string' ? Buffer.from(wire, 'utf8') : wire);
  for (let e = f.next(); e; e = f.next()) {
    if (e.kind === 'command') return parseCommand(e.unit, { utf8 });
    if (e.kind === 'error') throw new Error('framer error ' + e.error.code);
  }
  throw new Error('incomplete command');
}

/** JSON with bigints as "123n" and Buffers as strings, for readable expectations. */
function plain(v: unknown): unknown {
  return JSON.parse(
    JSON.stringify(v, function (k, x) {
      if (typeof x === 'bigint') return `${x}n`;
      const raw = (this as Record<string, unknown>)[k];
      if (Buffer.isBuffer(raw)) return raw.toString('latin1');
      if (x instanceof Date) return x.toISOString();
      return x;
    }),
  );
}

function args(wire: string, utf8 = false): unknown {
  const r = parseWire(wire, utf8);
  if (!r.ok) throw new Error(`${wire.trim()}: ${r.error.code} ${r.error.message}`);
  return plain(r.command.args);
}

const R = (from: number | '*', to: number | '*' = from) => ({ from, to });
const set = (...ranges: Array<{ from: number | '*'; to: number | '*' }>) => ({ kind: 'ranges', ranges });

const OK_CASES: Array<[string, unknown, boolean?]> = [
  ['a CAPABILITY\r\n', {}],
  ['a]1 CAPABILITY\r\n', {}],
  ['a noop\r\n', {}],
  ['a LOGOUT\r\n', {}],
  ['a STARTTLS\r\n', {}],
  ['a IDLE\r\n', {}],
  ['a CLOSE\r\n', {}],
  ['a UNSELECT\r\n', {}],
  ['a CHECK\r\n', {}],
  ['a NAMESPACE\r\n', {}],
  ['a EXPUNGE\r\n', { uids: null }],
  ['a UID EXPUNGE 3:5,9\r\n', { uids: set(R(3, 5), R(9)) }],
  ['a AUTHENTICATE PLAIN\r\n', { mechanism: 'PLAIN', initialResponse: null }],
  ['a AUTHENTICATE plain AGJvYgBwdw==\r\n', { mechanism: 'PLAIN', initialResponse: 'AGJvYgBwdw==' }],
  ['a AUTHENTICATE PLAIN =\r\n', { mechanism: 'PLAIN', initialResponse: '' }],
  ['a LOGIN bob "p a\\"ss\\\\"\r\n', { username: 'bob', password: 'p a"ss\\' }],
  ['a LOGIN {3}\r\nbob {4+}\r\npass\r\n', { username: 'bob', password: 'pass' }],
  ['a ENABLE IMAP4rev2 CONDSTORE\r\n', { capabilities: ['IMAP4REV2', 'CONDSTORE'] }],
  ['a SELECT inbox\r\n', { mailbox: 'INBOX', condstore: false, qresync: null }],
  ['a EXAMINE "Sent" (CONDSTORE)\r\n', { mailbox: 'Sent', condstore: true, qresync: null }],
  [
    'a SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n',
    { mailbox: 'INBOX', condstore: false, qresync: { uidValidity: 67890007, modSeq: '20050715194045000n', knownUids: set(R(41), R(43, 211), R(214, 541)), seqMatch: null } },
  ],
  [
    'a SELECT INBOX (QRESYNC (1 2 1:* (1:3 5:7)))\r\n',
    { mailbox: 'INBOX', condstore: false, qresync: { uidValidity: 1, modSeq: '2n', knownUids: set(R(1, '*')), seqMatch: { seqs: set(R(1, 3)), uids: set(R(5, 7)) } } },
  ],
  ['a CREATE Archive/2024\r\n', { mailbox: 'Archive/2024', specialUse: [] }],
  ['a CREATE MyJunk (USE (\\Junk))\r\n', { mailbox: 'MyJunk', specialUse: ['\\Junk'] }],
  ['a DELETE "Entw&APw-rfe"\r\n', { mailbox: 'Entwürfe' }],
  ['a DELETE "Entwürfe"\r\n', { mailbox: 'Entwürfe' }, true],
  ['a RENAME a b/c\r\n', { from: 'a', to: 'b/c' }],
  ['a SUBSCRIBE Lists\r\n', { mailbox: 'Lists' }],
  ['a UNSUBSCRIBE Lists\r\n', { mailbox: 'Lists' }],
  ['a LIST "" *\r\n', { extended: false, selection: [], reference: '', patterns: ['*'], returns: [] }],
  ['a LIST "" %/%\r\n', { extended: false, selection: [], reference: '', patterns: ['%/%'], returns: [] }],
  ['a LSUB "" *\r\n', { extended: false, selection: ['SUBSCRIBED'], reference: '', patterns: ['*'], returns: [] }],
  [
    'a LIST (SUBSCRIBED RECURSIVEMATCH) "" ("INBOX" "Sent*") RETURN (CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN SIZE))\r\n',
    {
      extended: true,
      selection: ['SUBSCRIBED', 'RECURSIVEMATCH'],
      reference: '',
      patterns: ['INBOX', 'Sent*'],
      returns: [{ kind: 'CHILDREN' }, { kind: 'SPECIAL-USE' }, { kind: 'STATUS', items: ['MESSAGES', 'UNSEEN', 'SIZE'] }],
    },
  ],
  ['a LIST "" "*" RETURN (SPECIAL-USE)\r\n', { extended: true, selection: [], reference: '', patterns: ['*'], returns: [{ kind: 'SPECIAL-USE' }] }],
  ['a STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE HIGHESTMODSEQ APPENDLIMIT)\r\n', {
    mailbox: 'INBOX', items: ['MESSAGES', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'DELETED', 'SIZE', 'HIGHESTMODSEQ', 'APPENDLIMIT'],
  }],
  ['a APPEND Sent {5+}\r\nhello\r\n', { mailbox: 'Sent', messages: [{ flags: [], internalDate: null, data: 'hello', binary: false, utf8: false }] }],
  [
    'a APPEND Sent (\\Seen $Forwarded) " 7-Feb-1994 21:52:25 -0800" {2}\r\nhi\r\n',
    { mailbox: 'Sent', messages: [{ flags: ['\\Seen', '$Forwarded'], internalDate: '1994-02-08T05:52:25.000Z', data: 'hi', binary: false, utf8: false }] },
  ],
  [
    'a APPEND Drafts (\\Draft) {1+}\r\nA "01-Jan-2020 00:00:00 +0000" ~{2+}\r\nB\x00 UTF8 (~{1+}\r\nC)\r\n',
    {
      mailbox: 'Drafts',
      messages: [
        { flags: ['\\Draft'], internalDate: null, data: 'A', binary: false, utf8: false },
        { flags: [], internalDate: '2020-01-01T00:00:00.000Z', data: 'B\u0000', binary: true, utf8: false },
        { flags: [], internalDate: null, data: 'C', binary: true, utf8: true },
      ],
    },
  ],
  ['a ID ("name" "Thunderbird" "version" NIL)\r\n', { params: [['name', 'Thunderbird'], ['version', null]] }],
  ['a ID NIL\r\n', { params: null }],
  ['a FETCH 1:* ALL\r\n', { set: set(R(1, '*')), items: [{ kind: 'FLAGS' }, { kind: 'INTERNALDATE' }, { kind: 'RFC822.SIZE' }, { kind: 'ENVELOPE' }], changedSince: null, vanished: false }],
  ['a FETCH 1 FAST\r\n', { set: set(R(1)), items: [{ kind: 'FLAGS' }, { kind: 'INTERNALDATE' }, { kind: 'RFC822.SIZE' }], changedSince: null, vanished: false }],
  ['a FETCH 1 full\r\n', { set: set(R(1)), items: [{ kind: 'FLAGS' }, { kind: 'INTERNALDATE' }, { kind: 'RFC822.SIZE' }, { kind: 'ENVELOPE' }, { kind: 'BODY', structure: false }], changedSince: null, vanished: false }],
  ['a FETCH 2 BODY[]\r\n', { set: set(R(2)), items: [{ kind: 'BODY[]', section: { part: [], text: null }, peek: false, partial: null }], changedSince: null, vanished: false }],
  [
    'a UID FETCH 1:100 (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE BODY MODSEQ EMAILID THREADID SAVEDATE PREVIEW RFC822.HEADER)\r\n',
    {
      set: set(R(1, 100)),
      items: ['UID', 'FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODYSTRUCTURE'].map((kind) => ({ kind }))
        .concat([{ kind: 'BODY', structure: false } as never])
        .concat(['MODSEQ', 'EMAILID', 'THREADID', 'SAVEDATE'].map((kind) => ({ kind })))
        .concat([{ kind: 'PREVIEW', lazy: false } as never, { kind: 'RFC822.HEADER' }]),
      changedSince: null,
      vanished: false,
    },
  ],
  [
    'a FETCH 1 (BODY.PEEK[HEADER.FIELDS (From Subject "X-Y")] BODY[1.2.MIME] BODY[TEXT]<0.2048> BODY[3.HEADER.FIELDS.NOT (Received)] BODY[HEADER])\r\n',
    {
      set: set(R(1)),
      items: [
        { kind: 'BODY[]', section: { part: [], text: { kind: 'HEADER.FIELDS', fields: ['From', 'Subject', 'X-Y'], not: false } }, peek: true, partial: null },
        { kind: 'BODY[]', section: { part: [1, 2], text: { kind: 'MIME' } }, peek: false, partial: null },
        { kind: 'BODY[]', section: { part: [], text: { kind: 'TEXT' } }, peek: false, partial: { offset: 0, length: 2048 } },
        { kind: 'BODY[]', section: { part: [3], text: { kind: 'HEADER.FIELDS', fields: ['Received'], not: true } }, peek: false, partial: null },
        { kind: 'BODY[]', section: { part: [], text: { kind: 'HEADER' } }, peek: false, partial: null },
      ],
      changedSince: null,
      vanished: false,
    },
  ],
  [
    'a FETCH 1 (BINARY[1.2] BINARY.PEEK[]<5.10> BINARY.SIZE[3] PREVIEW (LAZY))\r\n',
    {
      set: set(R(1)),
      items: [
        { kind: 'BINARY[]', part: [1, 2], peek: false, partial: null },
        { kind: 'BINARY[]', part: [], peek: true, partial: { offset: 5, length: 10 } },
        { kind: 'BINARY.SIZE', part: [3] },
        { kind: 'PREVIEW', lazy: true },
      ],
      changedSince: null,
      vanished: false,
    },
  ],
  ['a UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n', { set: set(R(300, 500)), items: [{ kind: 'FLAGS' }], changedSince: '12345n', vanished: true }],
  ['a FETCH $ (UID)\r\n', { set: { kind: 'saved' }, items: [{ kind: 'UID' }], changedSince: null, vanished: false }],
  ['a STORE 1:3 +FLAGS (\\Seen)\r\n', { set: set(R(1, 3)), unchangedSince: null, operation: 'add', silent: false, flags: ['\\Seen'] }],
  ['a STORE 1 -FLAGS.SILENT \\Deleted $Junk\r\n', { set: set(R(1)), unchangedSince: null, operation: 'remove', silent: true, flags: ['\\Deleted', '$Junk'] }],
  ['a UID STORE 7 (UNCHANGEDSINCE 320162338) FLAGS ()\r\n', { set: set(R(7)), unchangedSince: '320162338n', operation: 'replace', silent: false, flags: [] }],
  ['a COPY 2:4 Archive\r\n', { set: set(R(2, 4)), mailbox: 'Archive' }],
  ['a UID MOVE 42 "Deleted Items"\r\n', { set: set(R(42)), mailbox: 'Deleted Items' }],
  ['a SEARCH UNSEEN\r\n', { returns: null, charset: null, query: { type: 'flag', flag: '\\Seen', set: false } }],
  [
    'a UID SEARCH RETURN (MIN MAX COUNT ALL SAVE) CHARSET UTF-8 SUBJECT "caf\u00e9" SINCE 1-Feb-1994\r\n',
    { returns: ['MIN', 'MAX', 'COUNT', 'ALL', 'SAVE'], charset: 'UTF-8', query: { type: 'and', keys: [{ type: 'header', field: 'subject', value: 'café' }, { type: 'internaldate', op: 'since', date: { year: 1994, month: 2, day: 1 } }] } },
    true,
  ],
  ['a SEARCH RETURN () ALL\r\n', { returns: [], charset: null, query: { type: 'all' } }],
  [
    'a SEARCH OR (FROM a TO b) NOT KEYWORD $Junk\r\n',
    { returns: null, charset: null, query: { type: 'or', left: { type: 'and', keys: [{ type: 'header', field: 'from', value: 'a' }, { type: 'header', field: 'to', value: 'b' }] }, right: { type: 'not', key: { type: 'flag', flag: '$Junk', set: true } } } },
  ],
  ['a SEARCH MODSEQ "/flags/\\\\draft" all 620162338\r\n', { returns: null, charset: null, query: { type: 'modseq', modseq: '620162338n', entry: { name: '/flags/\\draft', kind: 'all' } } }],
  ['a SEARCH YOUNGER 3600\r\n', { returns: null, charset: null, query: { type: 'age', op: 'younger', seconds: 3600 } }],
  ['a SEARCH SAVEDBEFORE "5-Mar-2020" SAVEDATESUPPORTED\r\n', { returns: null, charset: null, query: { type: 'and', keys: [{ type: 'savedate', op: 'before', date: { year: 2020, month: 3, day: 5 } }, { type: 'savedatesupported' }] } }],
  ['a SEARCH EMAILID M6d99ac3275bb4e\r\n', { returns: null, charset: null, query: { type: 'emailid', id: 'M6d99ac3275bb4e' } }],
  ['a SEARCH HEADER Message-ID {5}\r\n<a@b>\r\n', { returns: null, charset: null, query: { type: 'header', field: 'message-id', value: '<a@b>' } }],
  ['a GETQUOTA ""\r\n', { root: '' }],
  ['a GETQUOTAROOT INBOX\r\n', { mailbox: 'INBOX' }],
  ['a SETQUOTA "" (STORAGE 512 MESSAGE 1000)\r\n', { root: '', limits: [{ resource: 'STORAGE', limit: '512n' }, { resource: 'MESSAGE', limit: '1000n' }] }],
  ['a COMPRESS DEFLATE\r\n', { mechanism: 'DEFLATE' }],
  ['a NOTIFY NONE\r\n', { kind: 'NONE' }],
  [
    'a NOTIFY SET STATUS (selected (MessageNew (UID BODY.PEEK[HEADER.FIELDS (From)]) MessageExpunge FlagChange)) (subtree (INBOX Lists) (MessageNew)) (personal NONE)\r\n',
    {
      kind: 'SET',
      status: true,
      groups: [
        { filter: { kind: 'SELECTED' }, events: [{ name: 'MESSAGENEW', fetchAtts: ['UID', 'BODY.PEEK[HEADER.FIELDS (FROM)]'] }, { name: 'MESSAGEEXPUNGE', fetchAtts: [] }, { name: 'FLAGCHANGE', fetchAtts: [] }] },
        { filter: { kind: 'SUBTREE', mailboxes: ['INBOX', 'Lists'] }, events: [{ name: 'MESSAGENEW', fetchAtts: [] }] },
        { filter: { kind: 'PERSONAL' }, events: null },
      ],
    },
  ],
  ['a GETMETADATA "" /shared/comment\r\n', { mailbox: '', maxSize: null, depth: '0', entries: ['/shared/comment'] }],
  ['a GETMETADATA (MAXSIZE 1024 DEPTH infinity) INBOX (/private/comment /shared/vendor/x)\r\n', { mailbox: 'INBOX', maxSize: 1024, depth: 'infinity', entries: ['/private/comment', '/shared/vendor/x'] }],
  ['a SETMETADATA INBOX (/private/comment {5+}\r\nhello /shared/x NIL)\r\n', { mailbox: 'INBOX', entries: [{ entry: '/private/comment', value: 'hello' }, { entry: '/shared/x', value: null }] }],
  [
    'a UID SORT (REVERSE DATE SUBJECT) UTF-8 ALL\r\n',
    { criteria: [{ key: 'DATE', reverse: true }, { key: 'SUBJECT', reverse: false }], returns: null, charset: 'UTF-8', query: { type: 'all' } },
  ],
  ['a THREAD REFERENCES UTF-8 SINCE 5-MAR-2000 UNDELETED\r\n', { algorithm: 'REFERENCES', charset: 'UTF-8', query: { type: 'and', keys: [{ type: 'internaldate', op: 'since', date: { year: 2000, month: 3, day: 5 } }, { type: 'flag', flag: '\\Deleted', set: false }] } }],
  ['a THREAD ORDEREDSUBJECT US-ASCII 1:*\r\n', { algorithm: 'ORDEREDSUBJECT', charset: 'US-ASCII', query: { type: 'seq', set: set(R(1, '*')) } }],
];

test('parses every supported command form', () => {
  for (const [wire, want, utf8] of OK_CASES) {
    assert.deepEqual(args(wire, utf8 ?? false), want, wire);
  }
});

test('every RFC 9051 search key parses', () => {
  const keys = [
    'ALL', 'ANSWERED', 'BCC x', 'BEFORE 1-Jan-2000', 'BODY x', 'CC x', 'DELETED', 'DRAFT', 'FLAGGED', 'FROM x',
    'HEADER X-A b', 'KEYWORD k', 'LARGER 5', 'NEW', 'NOT SEEN', 'OLD', 'ON 2-Jan-2000', 'OR SEEN DRAFT', 'RECENT',
    'SEEN', 'SENTBEFORE 1-Jan-2000', 'SENTON 1-Jan-2000', 'SENTSINCE 1-Jan-2000', 'SINCE 1-Jan-2000', 'SMALLER 5',
    'SUBJECT x', 'TEXT x', 'TO x', 'UID 1:*', 'UNANSWERED', 'UNDELETED', 'UNDRAFT', 'UNFLAGGED', 'UNKEYWORD k', 'UNSEEN',
    '1,3:4', '$', '(SEEN DRAFT)', 'MODSEQ 5', 'OLDER 10', 'YOUNGER 10', 'SAVEDON 1-Jan-2000', 'SAVEDSINCE 1-Jan-2000',
    'THREADID T1',
  ];
  for (const k of keys) {
    const r = parseWire(`a SEARCH ${k}\r\n`);
    assert.ok(r.ok, k);
  }
});

test('command names are case-insensitive and the table has flags', () => {
  const r = parseWire('x1 uid fetch 1 flags\r\n');
  assert.ok(r.ok && r.command.name === 'FETCH' && r.command.uid);
  assert.equal(lookupCommand('__proto__'), undefined);
  assert.equal(lookupCommand('constructor'), undefined);
  assert.ok(allowedIn('LOGIN', 'not-authenticated'));
  assert.ok(!allowedIn('LOGIN', 'authenticated'));
  assert.ok(!allowedIn('FETCH', 'authenticated'));
  assert.ok(allowedIn('CAPABILITY', 'selected'));
  assert.ok(allowedIn('ENABLE', 'authenticated') && !allowedIn('ENABLE', 'selected'));
  assert.ok(allowedIn('SELECT', 'selected') && allowedIn('IDLE', 'selected') && !allowedIn('EXPUNGE', 'authenticated'));
  assert.ok(allowedIn('ID', 'not-authenticated') && !allowedIn('STARTTLS', 'authenticated'));
  assert.equal(COMMANDS.FETCH.uid, true);
  assert.equal(COMMANDS.SELECT.uid, false);
});

const ERR_CASES: Array<[string, string, string | null, boolean?]> = [
  ['\r\n', 'missing-tag', null],
  [' NOOP\r\n', 'missing-tag', null],
  ['a+b NOOP\r\n', 'missing-tag', null],
  ['a(b NOOP\r\n', 'missing-tag', null],
  ['"a" NOOP\r\n', 'missing-tag', null],
  ['a\r\n', 'syntax', 'a'],
  ['a FROB\r\n', 'unknown-command', 'a'],
  ['a UID SELECT INBOX\r\n', 'unknown-command', 'a'],
  ['a NOOP extra\r\n', 'syntax', 'a'],
  ['a LOGIN bob\r\n', 'syntax', 'a'],
  ['a LOGIN "bob pw\r\n', 'syntax', 'a'],
  ['a LOGIN "b\\ob" pw\r\n', 'syntax', 'a'],
  ['a SELECT "caf\u00e9"\r\n', 'bad-mailbox-name', 'a'],
  ['a SELECT {5000+}\r\n' + 'x'.repeat(5000) + '\r\n', 'limit', 'a'],
  ['a SELECT &AGE-\r\n', 'bad-mailbox-name', 'a'],
  ['a SELECT &U,BTFw\r\n', 'bad-mailbox-name', 'a'],
  ['a SELECT "a\u00ff"\r\n', 'bad-mailbox-name', 'a'],
  ['a FETCH 0 FLAGS\r\n', 'syntax', 'a'],
  ['a FETCH 1:x FLAGS\r\n', 'syntax', 'a'],
  ['a FETCH 1 (FLAGS\r\n', 'syntax', 'a'],
  ['a FETCH 1 BODY[FOO]\r\n', 'syntax', 'a'],
  ['a FETCH 1 BODY[MIME]\r\n', 'syntax', 'a'],
  ['a FETCH 1 BODY.PEEK\r\n', 'syntax', 'a'],
  ['a FETCH 1 BODY[1.]\r\n', 'syntax', 'a'],
  ['a FETCH 1 BINARY[1.TEXT]\r\n', 'syntax', 'a'],
  ['a FETCH 1 BODY[1..2]\r\n', 'syntax', 'a'],
  ['a FETCH 1 BODY[]<5>\r\n', 'syntax', 'a'],
  ['a FETCH 1 BODY[]<5.0>\r\n', 'syntax', 'a'],
  ['a FETCH 1 FLAGS (VANISHED)\r\n', 'syntax', 'a'],
  ['a FETCH 99999999999 FLAGS\r\n', 'syntax', 'a'],
  ['a STORE 1 FLAGZ (\\Seen)\r\n', 'syntax', 'a'],
  ['a SEARCH FOO\r\n', 'syntax', 'a'],
  ['a SEARCH SINCE 31-Feb-2020\r\n', 'syntax', 'a'],
  ['a SEARCH OR SEEN\r\n', 'syntax', 'a'],
  ['a APPEND INBOX "32-Jan-2020 00:00:00 +0000" {1+}\r\nx\r\n', 'syntax', 'a'],
  ['a APPEND INBOX hello\r\n', 'syntax', 'a'],
  ['a LOGIN {3+}\r\na\x00b x\r\n', 'syntax', 'a'],
  ['a SETMETADATA INBOX (/bogus x)\r\n', 'syntax', 'a'],
  ['a GETMETADATA INBOX /shared/*\r\n', 'syntax', 'a'],
  ['a STATUS INBOX (BOGUS)\r\n', 'syntax', 'a'],
  ['a LIST (BOGUS) "" *\r\n', 'syntax', 'a'],
  ['a CREATE x (USE)\r\n', 'syntax', 'a'],
  ['a AUTHENTICATE PLAIN !!!\r\n', 'syntax', 'a'],
  ['a AUTHENTICATE PLAIN \r\n', 'syntax', 'a'],
  ['a AUTHENTICATE PLAIN AGJvYgBwdw\r\n', 'syntax', 'a'],
  ['a SELECT INBOX (CONDSTORE ' + '('.repeat(20) + '\r\n', 'syntax', 'a'],
  ['a FETCH 1 ' + '('.repeat(20) + 'FLAGS' + ')'.repeat(20) + '\r\n', 'syntax', 'a'],
  ['a SEARCH ' + '('.repeat(20) + 'ALL' + ')'.repeat(20) + '\r\n', 'too-deep', 'a'],
  ['a SEARCH ' + 'NOT '.repeat(100) + 'ALL\r\n', 'too-deep', 'a'],
  ['a SEARCH SEEN SEEN \r\n', 'syntax', 'a'],
  ['a SEARCH ' + Array(1100).fill('SEEN').join(' ') + '\r\n', 'limit', 'a'],
  ['a FETCH ' + Array(10_001).fill('1').join(',') + ' FLAGS\r\n', 'limit', 'a'],
];

test('rejects malformed commands with a typed error and the right tag', () => {
  for (const [wire, code, tag, utf8] of ERR_CASES) {
    const r = parseWire(wire, utf8 ?? false);
    assert.ok(!r.ok, `accepted: ${JSON.stringify(wire.slice(0, 60))}`);
    assert.equal(r.error.code, code, JSON.stringify(wire.slice(0, 60)) + ' ' + r.error.message);
    assert.equal(r.error.tag, tag, wire.slice(0, 60));
  }
});

test('nesting deeper than the cap is a typed too-deep error', () => {
  const r = parseWire('a LIST ' + '('.repeat(17) + '\r\n');
  assert.ok(!r.ok);
  const deep = parseWire('a SETMETADATA INBOX ' + '('.repeat(17) + '\r\n');
  assert.ok(!deep.ok);
  const s = parseWire('a SEARCH ' + '('.repeat(70) + 'ALL' + ')'.repeat(70) + '\r\n');
  assert.ok(!s.ok && (s.error.code === 'too-deep'));
});

test('mailbox names: modified UTF-7 in rev1, UTF-8 when enabled', () => {
  assert.deepEqual(args('a SELECT "&ZeVnLIqe-"\r\n'), { mailbox: '日本語', condstore: false, qresync: null });
  assert.deepEqual(args('a SELECT "日本語"\r\n', true), { mailbox: '日本語', condstore: false, qresync: null });
  assert.deepEqual(args('a SELECT "&ZeVnLIqe-"\r\n', true), { mailbox: '&ZeVnLIqe-', condstore: false, qresync: null });
  const bad = parseWire(Buffer.from('a SELECT {2+}\r\n\xff\xfe\r\n', 'latin1'), true);
  assert.ok(!bad.ok && bad.error.code === 'bad-charset');
  const badLogin = parseWire(Buffer.from('a LOGIN "\xff" x\r\n', 'latin1'));
  assert.ok(!badLogin.ok && badLogin.error.code === 'bad-charset');
  assert.deepEqual(args('a LOGIN "j\u00fcrgen" "p\u00e4ss"\r\n'), { username: 'jürgen', password: 'päss' });
});
