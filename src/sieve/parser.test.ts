/*
 * Lexer and parser tests with literal scripts: tokens, strings (escapes,
 * text: with dot-stuffing, comments), and the position and wording of syntax
 * errors a user sees in ManageSieve or `petrel sieve put`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lex } from './lexer.js';
import { parse } from './parser.js';
import { compileSieve, formatDiagnostic } from './index.js';

test('lexer: tokens with line and column', () => {
  const toks = lex('if size :over 10K {\r\n  discard;\r\n}');
  assert.deepEqual(
    toks.map((t) => [t.kind, t.line, t.column, t.kind === 'number' ? t.value : t.text]),
    [
      ['identifier', 1, 1, 'if'],
      ['identifier', 1, 4, 'size'],
      ['tag', 1, 9, 'over'],
      ['number', 1, 15, 10240],
      ['{', 1, 19, ''],
      ['identifier', 2, 3, 'discard'],
      [';', 2, 10, ''],
      ['}', 3, 1, ''],
      ['eof', 3, 2, ''],
    ],
  );
});

const STRINGS: Array<[string, string]> = [
  ['"plain"', 'plain'],
  ['"q\\"uote\\\\back"', 'q"uote\\back'],
  ['"undefined \\escape"', 'undefined escape'],
  ['"two\nlines"', 'two\r\nlines'],
  ['text:\r\nline 1\r\n..dotted\r\n.\r\n', 'line 1\r\n.dotted\r\n'],
  ['text: # comment after text:\nhello\n.\n', 'hello\r\n'],
  ['text:\n.\n', ''],
  ['"x" /* bracket\n comment */', 'x'],
  ['"1G" # hash', '1G'],
];

test('lexer: strings', () => {
  for (const [src, want] of STRINGS) {
    const t = lex(src)[0]!;
    assert.equal(t.kind, 'string', src);
    assert.equal(t.text, want, src);
  }
});

test('lexer: a leading byte order mark is skipped, columns count from after it', () => {
  const t = lex('\ufeffkeep;');
  assert.deepEqual([t[0]!.kind, t[0]!.line, t[0]!.column], ['identifier', 1, 1]);
});

test('lexer: numbers with quantifiers', () => {
  assert.deepEqual(
    lex('1 2k 3M 1G 0').filter((t) => t.kind === 'number').map((t) => t.value),
    [1, 2048, 3 * 1024 * 1024, 1024 ** 3, 0],
  );
});

test('parser: commands, tests, lists, blocks', () => {
  const ast = parse('if anyof (not exists ["From","Date"], header :is "x" "y") { keep; } elsif true { stop; }');
  assert.equal(ast.length, 2);
  const c = ast[0]!;
  assert.equal(c.name, 'if');
  assert.equal(c.tests[0]!.name, 'anyof');
  assert.equal(c.tests[0]!.testList, true);
  assert.equal(c.tests[0]!.tests[0]!.name, 'not');
  assert.deepEqual(c.tests[0]!.tests[0]!.tests[0]!.args[0], { kind: 'list', values: ['From', 'Date'], line: 1, column: 22 });
  assert.equal(c.block![0]!.name, 'keep');
  assert.equal(ast[1]!.name, 'elsif');
});

/** [script, line, column, message fragment] */
const ERRORS: Array<[string, number, number, string]> = [
  ['keep', 1, 5, "expected ';' after the command, found the end of the script"],
  ['if true {\n  keep;\n', 3, 1, "expected '}' to close the block"],
  ['require ["fileinto"];\nif header :is "a" "b" {\n  fileinto "x"\n}', 4, 1, "expected ';' after the command, found '}'"],
  ['if header :contains "subject" "x" { keep }', 1, 42, "expected ';' after the command, found '}'"],
  ['keep;\n}', 2, 1, "unexpected '}'"],
  ['discard;\n  "string";', 2, 3, 'expected a command name, found the string "string"'],
  ['if true (keep);', 1, 10, "expected a block '{' after the test 'true', found '('"],
  ['if header :contains "subject" "x" fileinto "y";', 1, 35, "expected a block '{' after the test 'header', found 'fileinto'"],
  ['require "fileinto"\nfileinto "x";', 2, 1, "expected ';' after the command, found 'fileinto'"],
  ['if exists "x" { keep; } else keep;', 1, 30, "expected a block '{' after 'else', found 'keep'"],
  ['redirect "a@b.c"\nkeep;', 2, 1, "expected ';' after the command, found 'keep'"],
  ['if anyof (true false) {}', 1, 16, "expected ',' or ')' after the test 'true', found 'false'"],
  ['if anyof (true, false {}', 1, 23, "expected ',' or ')' in the test list, found '{'"],
  ['fileinto ["a", b];', 1, 16, "expected a string in the string list, found 'b'"],
  ['keep;\n  /* never closed', 2, 3, 'unterminated bracket comment'],
  ['keep;\nreject "abc\n', 2, 8, 'unterminated quoted string'],
  ['vacation text:\nhello\n', 1, 1, 'unterminated text: string'],
  ['keep;\n\tstop @;', 2, 7, "unexpected '@'"],
  ['if size :over 10X { }', 1, 17, 'expected a number'],
  ['stop;\nif true : { }', 2, 9, "expected a tag name after ':'"],
  ['require "fileinto";\nkeep;\nrequire "reject";', 3, 1, "'require' is only allowed at the top"],
  ['if true { stop; }\nelse { stop; }\nelse { stop; }', 3, 1, "'else' without a preceding 'if'"],
  ['fileinto "x";', 1, 1, 'needs the "fileinto" extension: add require "fileinto"'],
  ['require "foo";', 1, 9, 'unknown extension "foo" in require'],
  ['if header :is "a" { }', 1, 4, "'header' takes 2 positional arguments, found 1"],
  ['if header :over "a" "b" { }', 1, 11, "unknown tagged argument ':over' for 'header'"],
  ['if header :is :contains "a" "b" { }', 1, 15, 'only one match type'],
  ['if size 100 { }', 1, 9, "'size' takes 0 positional arguments, found 1"],
  ['if size { }', 1, 4, "'size' needs ':over' or ':under'"],
  ['if frobnicate { }', 1, 4, "unknown test 'frobnicate'"],
  ['frobnicate;', 1, 1, "unknown command 'frobnicate'"],
  ['if true { keep; }\nif true;', 2, 8, "expected a block '{' after 'if', found ';'"],
  ['if header :comparator "i;ascii-numeric" "a" "b" {}', 1, 23, 'needs require "comparator-i;ascii-numeric"'],
  ['if header :regex "a" "b" {}', 1, 11, "':regex' needs the \"regex\" extension"],
  ['require "regex";\nif header :regex "subject" "a(b" {}', 2, 28, "unmatched '(' in regular expression"],
];

test('compile errors name the line, the column and what was expected', () => {
  const bad: string[] = [];
  for (const [src, line, column, msg] of ERRORS) {
    const r = compileSieve(src);
    if (r.ok) bad.push(`${JSON.stringify(src)} compiled`);
    else if (!r.error.message.includes(msg) || r.error.line !== line || r.error.column !== column) {
      bad.push(`${JSON.stringify(src)}: got ${r.error.line}:${r.error.column} ${JSON.stringify(r.error.message)}, want ${line}:${column} ${JSON.stringify(msg)}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('formatDiagnostic gives the form users see', () => {
  const r = compileSieve('require ["fileinto"];\nif true {\n  keep }');
  assert.ok(!r.ok);
  assert.equal(formatDiagnostic(r.error), "line 3, column 8: expected ';' after the command, found '}'");
});
