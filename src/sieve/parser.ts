/*
 * Sieve parser: tokens to a syntax tree of commands, tests and arguments,
 * with no knowledge of what any command means (that is the validator's job).
 *
 * Exports: parse, AstCommand, AstTest, AstArgument.
 * Security: untrusted input; recursion is bounded by MAX_NESTING_DEPTH and
 * the number of commands and tests by MAX_COMMANDS, each with its own error.
 * Standards: RFC 5228 section 8.2 (grammar).
 */
import { describeToken, lex, SieveSyntaxError, type Token } from './lexer.js';
import { MAX_COMMANDS, MAX_LIST_ITEMS, MAX_NESTING_DEPTH } from './limits.js';

interface Pos {
  line: number;
  column: number;
}

export type AstArgument =
  | ({ kind: 'tag'; name: string } & Pos)
  | ({ kind: 'number'; value: number } & Pos)
  | ({ kind: 'string'; value: string; multiline: boolean } & Pos)
  | ({ kind: 'list'; values: string[] } & Pos);

export interface AstTest extends Pos {
  /** Lower case. */
  name: string;
  args: AstArgument[];
  /** Tests in parentheses (allof, anyof) or the single nested test (not). */
  tests: AstTest[];
  /** Whether the nested tests were written as a parenthesised list. */
  testList: boolean;
}

export interface AstCommand extends Pos {
  /** Lower case. */
  name: string;
  args: AstArgument[];
  tests: AstTest[];
  testList: boolean;
  /** null when the command ended with ';'. */
  block: AstCommand[] | null;
  /** Position of the closing '}' or ';', for messages about what follows. */
  end: Pos;
}

/** Parse a whole script; throws SieveSyntaxError. */
export function parse(src: string): AstCommand[] {
  const toks = lex(src);
  let p = 0;
  let count = 0;
  const peek = (): Token => toks[p]!;
  const next = (): Token => toks[p++]!;
  const err = (t: Token, msg: string): never => {
    throw new SieveSyntaxError(t.line, t.column, msg);
  };
  const counted = (t: Token) => {
    if (++count > MAX_COMMANDS) err(t, `too many commands and tests (the limit is ${MAX_COMMANDS})`);
  };

  const commands = (depth: number, inBlock: boolean): AstCommand[] => {
    const list: AstCommand[] = [];
    for (;;) {
      const t = peek();
      if (t.kind === 'eof') {
        if (inBlock) err(t, "expected '}' to close the block, found the end of the script");
        return list;
      }
      if (t.kind === '}') {
        if (!inBlock) err(t, "unexpected '}': no block is open");
        return list;
      }
      if (t.kind !== 'identifier') err(t, `expected a command name, found ${describeToken(t)}`);
      list.push(command(depth));
    }
  };

  const command = (depth: number): AstCommand => {
    const name = next();
    counted(name);
    const args = argumentsOf();
    const { tests, testList } = testsOf(depth);
    const t = next();
    let block: AstCommand[] | null = null;
    if (t.kind === '{') {
      if (depth + 1 > MAX_NESTING_DEPTH) err(t, `blocks nested too deeply (the limit is ${MAX_NESTING_DEPTH})`);
      block = commands(depth + 1, true);
      const close = next(); // '}' guaranteed by commands()
      return { name: name.text.toLowerCase(), line: name.line, column: name.column, args, tests, testList, block, end: { line: close.line, column: close.column } };
    }
    if (t.kind !== ';') {
      const what = tests.length ? "expected ';' or a block after the test" : "expected ';' after the command";
      err(t, `${what}, found ${describeToken(t)}`);
    }
    return { name: name.text.toLowerCase(), line: name.line, column: name.column, args, tests, testList, block, end: { line: t.line, column: t.column } };
  };

  const argumentsOf = (): AstArgument[] => {
    const args: AstArgument[] = [];
    for (;;) {
      const t = peek();
      if (t.kind === 'tag') {
        next();
        args.push({ kind: 'tag', name: t.text.toLowerCase(), line: t.line, column: t.column });
      } else if (t.kind === 'number') {
        next();
        args.push({ kind: 'number', value: t.value, line: t.line, column: t.column });
      } else if (t.kind === 'string') {
        next();
        args.push({ kind: 'string', value: t.text, multiline: t.multiline, line: t.line, column: t.column });
      } else if (t.kind === '[') {
        next();
        const values: string[] = [];
        for (;;) {
          const s = next();
          if (s.kind !== 'string') err(s, `expected a string in the string list, found ${describeToken(s)}`);
          values.push(s.text);
          if (values.length > MAX_LIST_ITEMS) err(s, `string list too long (the limit is ${MAX_LIST_ITEMS})`);
          const sep = next();
          if (sep.kind === ']') break;
          if (sep.kind !== ',') err(sep, `expected ',' or ']' in the string list, found ${describeToken(sep)}`);
        }
        args.push({ kind: 'list', values, line: t.line, column: t.column });
      } else {
        return args;
      }
    }
  };

  const testsOf = (depth: number): { tests: AstTest[]; testList: boolean } => {
    const t = peek();
    if (t.kind === 'identifier') return { tests: [test(depth + 1)], testList: false };
    if (t.kind === '(') {
      next();
      const tests: AstTest[] = [];
      for (;;) {
        const s = peek();
        if (s.kind !== 'identifier') err(s, `expected a test in the test list, found ${describeToken(s)}`);
        tests.push(test(depth + 1));
        const sep = next();
        if (sep.kind === ')') break;
        if (sep.kind !== ',') err(sep, `expected ',' or ')' in the test list, found ${describeToken(sep)}`);
      }
      return { tests, testList: true };
    }
    return { tests: [], testList: false };
  };

  const test = (depth: number): AstTest => {
    const name = next();
    counted(name);
    if (depth > MAX_NESTING_DEPTH) err(name, `tests nested too deeply (the limit is ${MAX_NESTING_DEPTH})`);
    const args = argumentsOf();
    const { tests, testList } = testsOf(depth);
    return { name: name.text.toLowerCase(), line: name.line, column: name.column, args, tests, testList };
  };

  return commands(0, false);
}
