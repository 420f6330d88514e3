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
