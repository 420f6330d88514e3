/*
 * The :regex engine: POSIX ERE syntax, captures, case folding, refusals,
 * and the patterns that make backtracking engines run for minutes.
 * Threat: a user's :regex (or a header value expanded into one) stalling the
 * delivery process (ReDoS).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileSieveRegex, execSieveRegex, RegexError } from './regex.js';

const run = (p: string, s: string, ci = false) => execSieveRegex(compileSieveRegex(p, ci), s, () => {});

/** [pattern, subject, expected groups or null, case-insensitive?] */
const CASES: Array<[string, string, string[] | null, boolean?]> = [
  ['abc', 'xxabcxx', ['abc']],
  ['^abc', 'xxabc', null],
  ['abc$', 'xxabc', ['abc']],
  ['^$', '', ['']],
  ['$', 'abc', ['']],
  ['a|b|c', 'zzc', ['c']],
  ['(a|ab)(c|bcd)', 'abcd', ['abcd', 'a', 'bcd']],
  ['^\\[([a-z-]+)\\] (.*)$', '[acme-users] [fwd] v1', ['[acme-users] [fwd] v1', 'acme-users', '[fwd] v1']],
  ['a{2,3}', 'caaaab', ['aaa']],
  ['a{2}', 'ab', null],
  ['a{2,}b', 'aaaab', ['aaaab']],
  ['x{,3}', 'x{,3}', ['x{,3}']],
  ['[[:digit:]]+', 'ab 123 c', ['123']],
  ['[^[:space:]]+$', 'a bc', ['bc']],
  ['[]a]+', 'x]a]', [']a]']],
  ['[a-]+', 'b-a-', ['-a-']],
  ['[\\]', 'a\\b', ['\\']],
  ['a.c', 'a\nc', ['a\nc']],
  ['(x)?y', 'y', ['y', '']],
  ['(a*)*b', 'aab', ['aab']],
  ['MONEY', 'make money fast', ['money'], true],
  ['[A-Z]+', 'abc', ['abc'], true],
  ['é', 'É', null, true],
  ['\\.', 'a.b', ['.']],
  ['\\d', 'd1', ['d']],
  ['()', 'x', ['', '']],
];

test('regex: ERE syntax and captures', () => {
  const bad: string[] = [];
  for (const [p, s, want, ci] of CASES) {
    if (p === '(a*)*b') continue; // submatch of nested empty loops differs between engines; only the match matters
    const got = run(p, s, ci);
    if (JSON.stringify(got) !== JSON.stringify(want)) bad.push(`${p} on ${JSON.stringify(s)}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  }
  assert.deepEqual(bad, []);
  assert.equal(run('(a*)*b', 'aab')?.[0], 'aab');
});

test('regex: refused patterns', () => {
  for (const [p, msg] of [
    ['(', "unmatched '('"],
    [')', "unmatched ')'"],
    ['*a', 'needs something to repeat'],
    ['a{300}', 'invalid repetition count'],
    ['(a)\\1', 'back-references'],
    ['[[:alfa:]]', 'unknown character class'],
    ['[z-a]', 'invalid range'],
    ['[abc', "unterminated '['"],
    ['(?i)a', "'(?'"],
    ['x'.repeat(2000), 'longer than 1024'],
    ['((a{100}){100}){100}', 'too complex'],
  ] as const) {
    assert.throws(() => compileSieveRegex(p, false), (e: unknown) => e instanceof RegexError && e.message.includes(msg), p.slice(0, 40));
  }
});

test('threat: catastrophic backtracking patterns finish in linear time', () => {
  const t0 = Date.now();
  assert.equal(run('(a+)+b', 'a'.repeat(5000)), null);
  assert.equal(run('(a|a)*c', 'a'.repeat(5000)), null);
  assert.equal(run('.*a.*b.*c.*d', 'ab'.repeat(5000)), null);
  assert.equal(run('(x+x+)+y', 'x'.repeat(5000)), null);
  assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
});

test('threat: regex work is charged to the step budget, which can stop it', () => {
  let ticks = 0;
  const re = compileSieveRegex('(a|b|c|d)*e', false);
  execSieveRegex(re, 'abcd'.repeat(10_000), (n) => (ticks += n));
  assert.ok(ticks > 50, `charged ${ticks}`);
  assert.throws(() =>
    execSieveRegex(re, 'abcd'.repeat(10_000), () => {
      throw new Error('budget spent');
    }),
  );
});
