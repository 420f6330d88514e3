/*
 * Property tests: random bytes and random mutations of valid scripts never
 * make compileSieve throw (it always returns a CompileResult), whatever
 * compiles also runs without throwing against a literal message, and the
 * whole batch finishes quickly.
 * Threat: a script uploaded over ManageSieve crashing or stalling the
 * server at PUTSCRIPT or at delivery.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileSieve } from './index.js';
import { runSieve } from './interpreter.js';
import { parseSieveMessage } from './message.js';
import { MESSAGES } from './test-helpers.js';

const SEEDS = [
  'require ["fileinto", "reject"];\nif header :contains "subject" "money" { fileinto "Junk"; } elsif size :over 1M { reject text:\nToo big\n..\n.\n; } else { keep; }',
  'require ["variables", "regex", "relational", "comparator-i;ascii-numeric"]; if header :regex "subject" "^(a|b)+$" { set :upper "x" "${1}"; } if string :count "ge" :comparator "i;ascii-numeric" "${x}" "1" { discard; }',
  'require ["encoded-character", "imap4flags", "fileinto", "copy", "mailbox"]; addflag "\\\\Seen ${hex:24}"; fileinto :copy :create :flags ["a", "b"] "${unicode:48 49}";',
  'require ["mime", "foreverypart", "extracttext", "variables", "enotify"]; foreverypart :name "p" { if header :mime :anychild :param "filename" :matches "content-disposition" "*.zip" { extracttext :first 10 "t"; notify :message "${t}" "mailto:a@b.example"; break :name "p"; } }',
  'require ["ihave", "vacation", "vacation-seconds", "date", "index", "editheader"]; if ihave "x-y" { x_y; } vacation :seconds 60 :subject "s" :handle "h" "r"; if date :index 1 :last :zone "+0100" :is "date" "weekday" "1" { deleteheader :index 2 "X-A"; addheader "X-B" "c"; }',
  '/* comment */ # hash\nif anyof (not exists ["a","b"], allof (true, false)) { stop; }',
];

const TOKENS = ['{', '}', '(', ')', '[', ']', ';', ',', '"', '\\', ':', ' ', '\n', '\r\n', 'text:\n', '\n.\n', '/*', '*/', '#', '${', '}', '${hex:', '${unicode:ffffffff}', 'if ', 'elsif ', 'else ', 'require ', ':is ', ':matches ', '"*"', '10K', '99999999999999999999', 'allof(', 'not ', 'true', '\x00', '\xff', 'é', ':comparator "i;octet" '];

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

function mutate(rnd: (n: number) => number, input: string): string {
  let b = input;
  for (let k = 1 + rnd(4); k > 0; k--) {
    const pos = rnd(b.length + 1);
    const op = rnd(5);
    if (op === 0) b = b.slice(0, pos) + b.slice(pos + 1 + rnd(8));
    else if (op === 1) b = b.slice(0, pos) + TOKENS[rnd(TOKENS.length)]! + b.slice(pos);
    else if (op === 2) b = b.slice(0, pos) + String.fromCharCode(rnd(256)) + b.slice(pos + 1);
    else if (op === 3) b = b.slice(0, pos) + TOKENS[rnd(TOKENS.length)]!.repeat(1 + rnd(40)) + b.slice(pos);
    else b = b + SEEDS[rnd(SEEDS.length)]!;
  }
  return b;
}

const message = parseSieveMessage(MESSAGES.mime);
const env = { message, envelope: { from: 'a@b.example', to: 'c@d.example' }, now: new Date(0), isDuplicate: () => false, mailboxExists: () => true };

function check(src: string): void {
  const r = compileSieve(src);
  assert.equal(typeof r.ok, 'boolean');
  if (!r.ok) {
    assert.ok(r.error.line >= 1 && r.error.column >= 1, `${JSON.stringify(src)}: position ${r.error.line}:${r.error.column}`);
    assert.equal(typeof r.error.message, 'string');
    return;
  }
  const run = runSieve(JSON.parse(JSON.stringify(r.script)), env);
  assert.ok(run.actions.length >= 1 || run.ok, 'a run always decides something');
}

test('fuzz: seeds compile', () => {
  for (const s of SEEDS) {
    const r = compileSieve(s);
    assert.ok(r.ok, r.ok ? '' : `${s}\n${r.error.line}:${r.error.column} ${r.error.message}`);
  }
});

test('fuzz: random bytes never throw', () => {
  const rnd = rng(7);
  const t0 = Date.now();
  for (let i = 0; i < 2000; i++) {
    const len = rnd(200);
    let s = '';
    for (let k = 0; k < len; k++) s += String.fromCharCode(rnd(4) === 0 ? rnd(0x3000) : 32 + rnd(95));
    check(s);
  }
  assert.ok(Date.now() - t0 < 10_000);
});

test('fuzz: mutated valid scripts never throw', () => {
  const rnd = rng(42);
  const t0 = Date.now();
  for (let i = 0; i < 5000; i++) check(mutate(rnd, SEEDS[rnd(SEEDS.length)]!));
  assert.ok(Date.now() - t0 < 20_000);
});

test('fuzz: mutated MIME messages never throw in parseSieveMessage or a MIME-heavy run', () => {
  const script = compileSieve(
    'require ["body", "mime", "foreverypart", "extracttext", "variables", "regex", "date", "relational"]; foreverypart { if header :mime :anychild :param "filename" :matches "content-disposition" "*" { extracttext :first 20 "x"; } } if body :content "text" :regex "m(i|o)ss" { discard; } if address :all :matches ["from", "to"] "*@*" { keep; } if date :value "ge" "date" "year" "2000" { stop; }',
  );
  assert.ok(script.ok);
  const rnd = rng(99);
  const seeds = [MESSAGES.mime, MESSAGES.nested, MESSAGES.list];
  const toks = ['--outer', '--b1', '--b2--', '\r\n', '\r\n\r\n', 'Content-Type: multipart/mixed; boundary=outer\r\n', 'Content-Type: message/rfc822\r\n', '=?utf-8?B?w6k=?=', '=?x?Q?', '"', '<', '>', ',', ':', ';', '(', ')', '\\', '\x00', 'é'];
  const t0 = Date.now();
  for (let i = 0; i < 1500; i++) {
    let m = seeds[rnd(seeds.length)]!;
    for (let k = 1 + rnd(6); k > 0; k--) {
      const pos = rnd(m.length + 1);
      const op = rnd(3);
      if (op === 0) m = m.slice(0, pos) + m.slice(pos + 1 + rnd(20));
      else if (op === 1) m = m.slice(0, pos) + toks[rnd(toks.length)]!.repeat(1 + rnd(5)) + m.slice(pos);
      else m = m.slice(0, pos) + String.fromCharCode(rnd(256)) + m.slice(pos);
    }
    const message = parseSieveMessage(m);
    const r = runSieve(script.script, { message, envelope: { from: '', to: 'me@example.com' }, now: new Date(0) });
    assert.ok(r.actions.length >= 1);
  }
  assert.ok(Date.now() - t0 < 20_000);
});

test('threat: hostile scripts at the size limit compile or fail quickly', () => {
  const size = 64 * 1024 - 100;
  const hostile = [
    'if header :is "a" [' + '"x",'.repeat(size / 4 - 10) + '"y"] {}',
    'if anyof(' + 'true,'.repeat(size / 5 - 10) + 'true) {}',
    'keep;'.repeat(size / 5 - 1),
    '"'.repeat(size),
    '/*'.repeat(size / 2),
    'text:\n' + '.x\n'.repeat(size / 3 - 10),
    'if ' + 'not '.repeat(size / 4 - 10) + 'true {}',
    'require ["variables"]; set "a" "' + '${a}'.repeat(size / 4 - 20) + '";',
  ];
  for (const src of hostile) {
    const t0 = Date.now();
    const r = compileSieve(src);
    assert.equal(typeof r.ok, 'boolean');
    assert.ok(Date.now() - t0 < 2000, `${src.slice(0, 30)}: ${Date.now() - t0} ms`);
  }
});

test('threat: a corrupted stored CompiledScript never throws, it falls back to keep', () => {
  const message = parseSieveMessage(MESSAGES.plain);
  const garbage: unknown[] = [
    null,
    {},
    { version: 1 },
    { version: 1, requires: 'x', commands: [] },
    { version: 1, requires: [], commands: [{ name: 'fileinto', args: [42], tags: {} }] },
    { version: 1, requires: [], commands: [{ name: 'if', branches: [{ test: { name: 'nope' } }] }] },
    { version: 1, requires: [], commands: [{ name: 'if', branches: [{ test: { name: 'header', args: [], tags: {} }, block: null }] }] },
    { version: 1, requires: [], commands: [{ name: 'redirect', args: [['a@b.c']], tags: {} }] },
    { version: 1, requires: [], commands: 'keep' },
  ];
  for (const g of garbage) {
    const r = runSieve(g as never, { message, envelope: { from: '', to: '' }, now: new Date(0) });
    assert.ok(r.actions.length >= 1, JSON.stringify(g));
    if (!r.ok) assert.deepEqual(r.actions, [{ type: 'keep', flags: [], implicit: true, edits: 0 }]);
  }
});
