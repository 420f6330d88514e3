/*
 * Comparators and match types with literal values: :is, :contains,
 * :matches (wildcards, escapes, captures), :value and :count with the three
 * comparators.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareRelation, matchAny, type MatchState } from './match.js';

const st = (): MatchState => ({ tick: () => {}, regexCache: new Map() });
const m = (type: string, comparator: string, values: string[], keys: string[], relation?: string) =>
  matchAny(values, keys, relation ? { type, comparator, relation } : { type, comparator }, st());

/** [type, comparator, value, key, ok, captures?] */
const CASES: Array<[string, string, string, string, boolean, string[]?]> = [
  ['is', 'i;ascii-casemap', 'Hello', 'hELLO', true],
  ['is', 'i;octet', 'Hello', 'hello', false],
  ['is', 'i;ascii-casemap', 'Émile', 'émile', false], // only ASCII letters fold
  ['contains', 'i;ascii-casemap', 'Make Money Fast', 'money', true],
  ['contains', 'i;octet', 'abc', '', true],
  ['matches', 'i;ascii-casemap', 'abc', '*', true, ['abc', 'abc']],
  ['matches', 'i;ascii-casemap', '', '*', true, ['', '']],
  ['matches', 'i;ascii-casemap', 'abc', '?', false],
  ['matches', 'i;ascii-casemap', 'a😀c', 'a?c', true, ['a😀c', '😀']],
  ['matches', 'i;ascii-casemap', 'x*y', 'x\\*y', true, ['x*y']],
  ['matches', 'i;ascii-casemap', 'xay', 'x\\*y', false],
  ['matches', 'i;ascii-casemap', 'a\\b', 'a\\\\b', true, ['a\\b']],
  ['matches', 'i;ascii-casemap', 'coyote@ACME.Example.COM', 'coyote@**.com', true, ['coyote@ACME.Example.COM', '', 'ACME.Example']],
  ['matches', 'i;ascii-casemap', '[acme-users] [fwd] version 1.0 is out', '[*] *', true, ['[acme-users] [fwd] version 1.0 is out', 'acme-users', '[fwd] version 1.0 is out']],
  ['matches', 'i;octet', 'ABC', '*b*', false],
  ['matches', 'i;ascii-casemap', 'aXbXc', '*X*', true, ['aXbXc', 'a', 'bXc']],
  ['matches', 'i;ascii-casemap', 'abcd', 'a?c?', true, ['abcd', 'b', 'd']],
  ['value', 'i;ascii-numeric', '10', '9', true],
  ['value', 'i;ascii-casemap', '10', '9', false],
  ['value', 'i;ascii-numeric', 'abc', '99999', true],
  ['value', 'i;ascii-casemap', '_', 'a', true], // casemap folds to upper case: "_" (5F) > "A" (41)
  ['value', 'i;octet', '_', 'a', false],
  ['value', 'i;ascii-numeric', '007', '7', false],
  ['is', 'i;ascii-numeric', '007', '7', true],
  ['is', 'i;ascii-numeric', 'x', 'y', true], // both positive infinity
];

test('comparators and match types', () => {
  const bad: string[] = [];
  for (const [type, cmp, v, k, ok, caps] of CASES) {
    const rel = type === 'value' ? 'gt' : undefined;
    const r = m(type, cmp, [v], [k], rel);
    if (r.ok !== ok || (caps && JSON.stringify(r.captures) !== JSON.stringify(caps))) {
      bad.push(`${type} ${cmp} ${JSON.stringify(v)} ${JSON.stringify(k)}: got ${r.ok} ${JSON.stringify(r.captures)}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('relations', () => {
  for (const [a, b, rel, want] of [
    ['2', '10', 'lt', true],
    ['2', '10', 'ge', false],
    ['5', '5', 'eq', true],
    ['5', '5', 'ne', false],
    ['5', '6', 'le', true],
  ] as const) {
    assert.equal(compareRelation(a, b, rel, 'i;ascii-numeric'), want, `${a} ${rel} ${b}`);
  }
});

test(':count counts values', () => {
  assert.equal(m('count', 'i;ascii-numeric', ['a', 'b', 'c'], ['3'], 'eq').ok, true);
  assert.equal(m('count', 'i;ascii-numeric', [], ['0'], 'eq').ok, true);
  assert.equal(m('count', 'i;ascii-numeric', ['a'], ['2'], 'ge').ok, false);
});

test('threat: a many-star pattern over a long value costs bounded work', () => {
  let ticks = 0;
  const s: MatchState = { tick: (n) => (ticks += n), regexCache: new Map() };
  const t0 = Date.now();
  const r = matchAny(['a'.repeat(100_000)], ['*a*a*a*a*a*b'], { type: 'matches', comparator: 'i;ascii-casemap' }, s);
  assert.equal(r.ok, false);
  assert.ok(Date.now() - t0 < 3000);
  assert.ok(ticks > 0);
});
