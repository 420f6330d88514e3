/*
 * Variable substitution rules of RFC 5229 section 3 with literal strings:
 * one pass, never recursive, invalid references left as written, match
 * variables by number, and the modifiers of section 4.1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyModifiers, expandVariables, isSettableName, isVariableName } from './variables.js';

const vars: Record<string, string> = { a: 'A', bar: 'o', foo: 'FOO', '1': 'one', dollar: '${a}' };
const lookup = (n: string) => (n.includes('.') && !n.startsWith('global.') ? null : vars[n]);

const CASES: Array<[string, string]> = [
  ['${a}', 'A'],
  ['${A}', 'A'],
  ['x${a}y${a}', 'xAyA'],
  ['${unset}', ''],
  ['${fo${bar}}', '${foo}'], // one pass: the result is not expanded again
  ['${dollar}', '${a}'],
  ['${doh!}', '${doh!}'],
  ['${', '${'],
  ['${a', '${a'],
  ['$${a}', '$A'],
  ['${1}', 'one'],
  ['${0001}', 'one'],
  ['${10}', ''], // only ${0}..${9} exist
  ['${ns.x}', '${ns.x}'], // unknown namespace: left as written
  ['${}', '${}'],
];

test('expandVariables', () => {
  for (const [s, want] of CASES) assert.equal(expandVariables(s, lookup), want, s);
});

test('variable names', () => {
  assert.ok(isVariableName('a_b9'));
  assert.ok(isVariableName('global.x'));
  assert.ok(isVariableName('12'));
  assert.ok(!isVariableName('9a'));
  assert.ok(isSettableName('company'));
  assert.ok(isSettableName('global.company'));
  assert.ok(!isSettableName('1'));
  assert.ok(!isSettableName('a.b'));
  assert.ok(!isSettableName('x'.repeat(65)));
});

test('modifiers in precedence order (RFC 5229 4.1 examples)', () => {
  const a = 'juMBlEd lETteRS';
  assert.equal(applyModifiers(a, ['length']), '15');
  assert.equal(applyModifiers(a, ['lower']), 'jumbled letters');
  assert.equal(applyModifiers(a, ['upperfirst']), 'JuMBlEd lETteRS');
  assert.equal(applyModifiers(a, ['lower', 'upperfirst']), 'Jumbled letters');
  assert.equal(applyModifiers(a, ['upperfirst', 'lower']), 'Jumbled letters');
  assert.equal(applyModifiers('Rock*', ['quotewildcard']), 'Rock\\*');
  assert.equal(applyModifiers('a.b*', ['quoteregex']), 'a\\.b\\*');
  assert.equal(applyModifiers('Hello Wörld', ['encodeurl']), 'Hello%20W%C3%B6rld');
  assert.equal(applyModifiers('ab', ['upper', 'length']), '2');
});
