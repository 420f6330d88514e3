/*
 * The Sieve compiler: parse, then check every command and test against the
 * signature table and the rules of RFC 5228 and its extensions, producing the
 * JSON CompiledScript the interpreter runs.
 *
 * Exports: compile.
 * Security: the source is untrusted; size is checked before anything else,
 * nesting and command counts are bounded by the parser, recursion here
 * follows the parse tree (so it is bounded too), and compile never throws:
 * every failure is a diagnostic with a fixed-form message.
 * Standards: RFC 5228 (require, control commands, argument rules), RFC 5229
 * (variable names), RFC 5260, RFC 5293, RFC 5435, RFC 5463 (ihave blocks
 * are only parsed when the extension is not available), RFC 5703, RFC 6609,
 * RFC 7352, RFC 5235, RFC 8579 and the others named in signatures.ts.
 */
import type { CompileOptions, CompileResult, SieveDiagnostic } from './index.js';
import type { CompiledArg, CompiledBranch, CompiledCommand, CompiledScript, CompiledTest, MatchSpec } from './compiled.js';
import { parse, type AstArgument, type AstCommand, type AstTest } from './parser.js';
import { SieveSyntaxError } from './lexer.js';
import { IMPLICIT_EXTENSIONS, isKnownExtension, SIEVE_EXTENSIONS } from './extensions.js';
import { DEFAULT_MAX_SCRIPT_SIZE } from './limits.js';
import {
  ADDRESS_PART_TAGS,
  COMMANDS,
  COMPARATORS,
  DATE_PARTS,
  MATCH_TAGS,
  MODIFIERS,
  RELATIONS,
  TESTS,
  type ArgType,
  type Signature,
} from './signatures.js';
import { decodeEncodedCharacters, EncodedCharacterError } from './encoded.js';
import { hasVariableReference, isSettableName } from './variables.js';
import { compileSieveRegex, RegexError } from './regex.js';

interface Pos {
  line: number;
  column: number;
}

interface Ctx {
  /** Extensions required (or made available by an enclosing ihave). */
  exts: Set<string>;
  /** :name of each enclosing foreverypart ('' when unnamed), innermost last. */
  loops: string[];
}

const fail = (at: Pos, message: string): never => {
  throw new SieveSyntaxError(at.line, at.column, message);
};

const HEADER_NAME = /^[\x21-\x39\x3b-\x7e]+$/;

export function compile(source: string, options: CompileOptions): CompileResult {
  const maxSize = options.maxSize ?? DEFAULT_MAX_SCRIPT_SIZE;
  const size = Buffer.byteLength(source, 'utf8');
  if (size > maxSize) {
    return { ok: false, error: { line: 1, column: 1, message: `script too large: ${size} octets, the limit is ${maxSize}` } };
  }
  try {
    const ast = parse(source);
    const v = new Validator(options.extensions ?? SIEVE_EXTENSIONS);
    const script = v.script(ast, size);
    return { ok: true, script, warnings: v.warnings };
  } catch (e) {
    if (e instanceof SieveSyntaxError) return { ok: false, error: { line: e.line, column: e.column, message: e.message } };
    if (e instanceof RangeError) return { ok: false, error: { line: 1, column: 1, message: 'script too complex' } };
    return { ok: false, error: { line: 1, column: 1, message: 'internal error while compiling the script' } };
  }
}

class Validator {
  readonly warnings: SieveDiagnostic[] = [];
  private readonly enabled: ReadonlySet<string>;
  private decode = false;
  private variables = false;

  constructor(enabled: readonly string[]) {
    this.enabled = new Set(enabled.map((e) => e.toLowerCase()));
  }

  script(ast: AstCommand[], size: number): CompiledScript {
    const exts = new Set<string>();
    const requires: string[] = [];
    let i = 0;
    for (; i < ast.length && ast[i]!.name === 'require'; i++) {
      const c = ast[i]!;
      if (c.tests.length) fail(c.tests[0]!, `expected ';' after the command, found '${c.tests[0]!.name}'`);
      if (c.block) fail(c.end, "expected ';' after 'require', found '{'");
      if (c.args.length !== 1 || (c.args[0]!.kind !== 'string' && c.args[0]!.kind !== 'list')) {
        fail(c.args[0] ?? c.end, "'require' needs one string or string list naming extensions");
      }
      const a = c.args[0]!;
      const names = a.kind === 'list' ? a.values : a.kind === 'string' ? [a.value] : [];
      for (const raw of names) {
        const name = raw.toLowerCase();
        this.checkExtensionAvailable(name, a);
        if (!exts.has(name)) requires.push(name);
        exts.add(name);
      }
    }
    if (exts.has('spamtestplus')) exts.add('spamtest');
    this.decode = exts.has('encoded-character');
    this.variables = exts.has('variables');
    const commands = this.block(ast.slice(i), { exts, loops: [] });
    return { version: 1, requires, commands, sourceSize: size };
  }

  private checkExtensionAvailable(name: string, at: Pos): void {
    if (!isKnownExtension(name)) fail(at, `unknown extension "${name}" in require`);
    if (!this.enabled.has(name) && !IMPLICIT_EXTENSIONS.includes(name)) {
      fail(at, `extension "${name}" is not enabled on this server`);
    }
  }

  private block(list: AstCommand[], ctx: Ctx): CompiledCommand[] {
    const out: CompiledCommand[] = [];
    let openIf: CompiledCommand | null = null;
    let stopped: AstCommand | null = null;
    for (const c of list) {
      if (stopped && c.name !== 'elsif' && c.name !== 'else') {
        this.warnings.push({ line: c.line, column: c.column, message: `'${c.name}' is never run: it follows '${stopped.name}'` });
        stopped = null;
      }
      if (c.name === 'require') fail(c, "'require' is only allowed at the top of the script, before any other command");
      if (c.name === 'elsif' || c.name === 'else') {
        if (!openIf) fail(c, `'${c.name}' without a preceding 'if' or 'elsif'`);
        const cmd = openIf!;
        this.expectNoArgs(c);
        if (c.name === 'elsif') {
          cmd.branches!.push(this.branch(c, ctx));
        } else {
          if (c.tests.length) {
            const n = c.tests[0]!.name;
            fail(c.tests[0]!, n === 'if' ? "'else' takes no test (write 'elsif' for a second condition)" : `expected a block '{' after 'else', found '${n}'`);
          }
          cmd.elseBlock = this.blockOf(c, ctx);
          openIf = null;
        }
        continue;
      }
      if (c.name === 'if') {
        this.expectNoArgs(c);
        const cmd: CompiledCommand = { name: 'if', line: c.line, column: c.column, tags: {}, args: [], branches: [this.branch(c, ctx)] };
        out.push(cmd);
        openIf = cmd;
        continue;
      }
      openIf = null;
      out.push(this.command(c, ctx));
      if (c.name === 'stop' || c.name === 'return') stopped = c;
    }
    return out;
  }

  /** One if/elsif branch: with an ihave test, its block sees the extensions named (or is dropped when they are unavailable). */
  private branch(c: AstCommand, ctx: Ctx): CompiledBranch {
    const test = this.singleTest(c, ctx);
    const blockCtx = this.ihaveCtx(test.ast, ctx);
    if (!blockCtx) return { test: FALSE_TEST(c.tests[0]!), block: [] };
    if (blockCtx === ctx) return { test: test.compiled, block: this.blockOf(c, ctx) };
    const saved = [this.decode, this.variables] as const;
    this.decode = blockCtx.exts.has('encoded-character');
    this.variables = blockCtx.exts.has('variables');
    try {
      const added = [...blockCtx.exts].filter((e) => !ctx.exts.has(e));
      const b: CompiledBranch = { test: test.compiled, block: this.blockOf(c, blockCtx) };
      if (added.length) b.exts = added;
      return b;
    } finally {
      [this.decode, this.variables] = saved;
    }
  }

  /** The context for the block of an if whose test is ihave: null when the extensions are not all available (block skipped). */
  private ihaveCtx(test: AstTest, ctx: Ctx): Ctx | null {
    if (test.name !== 'ihave' || !ctx.exts.has('ihave')) return ctx;
    const a = test.args[0];
    const names = a?.kind === 'list' ? a.values : a?.kind === 'string' ? [a.value] : [];
    const exts = new Set(ctx.exts);
    for (const raw of names) {
      const n = raw.toLowerCase();
      if (!isKnownExtension(n) || !this.enabled.has(n)) return null;
      exts.add(n);
    }
    if (exts.has('spamtestplus')) exts.add('spamtest');
    return { exts, loops: ctx.loops };
  }

  private blockOf(c: AstCommand, ctx: Ctx): CompiledCommand[] {
    if (!c.block) fail(c.end, `expected a block '{' after '${c.name}', found ';'`);
    return this.block(c.block!, ctx);
  }

  private expectNoArgs(c: AstCommand): void {
    if (c.args.length) fail(c.args[0]!, `'${c.name}' takes no arguments before its ${c.name === 'else' ? 'block' : 'test'}`);
  }

  private singleTest(c: AstCommand, ctx: Ctx): { ast: AstTest; compiled: CompiledTest } {
    if (c.tests.length === 0) fail(c.end, `expected a test after '${c.name}'`);
    if (c.testList) fail(c, `'${c.name}' takes one test, not a test list: use allof or anyof`);
    const t = c.tests[0]!;
    return { ast: t, compiled: this.test(t, ctx) };
  }

  private requireExt(sig: Signature, name: string, kind: string, at: Pos, ctx: Ctx): void {
    if (!sig.ext || sig.ext.some((e) => ctx.exts.has(e))) return;
    fail(at, `${kind} '${name}' needs the "${sig.ext[0]}" extension: add require "${sig.ext[0]}"`);
  }

  private command(c: AstCommand, ctx: Ctx): CompiledCommand {
    const sig = Object.hasOwn(COMMANDS, c.name) ? COMMANDS[c.name]! : undefined;
    if (!sig) {
      if (Object.hasOwn(TESTS, c.name)) fail(c, `'${c.name}' is a test, not a command`);
      fail(c, `unknown command '${c.name}'`);
    }
    this.requireExt(sig!, c.name, 'command', c, ctx);
    if (c.tests.length) fail(c.tests[0]!, `expected ';' after the command, found '${c.tests[0]!.name}'`);
    if (sig!.block && !c.block) fail(c.end, `expected a block '{' after '${c.name}', found ';'`);
    if (!sig!.block && c.block) fail(c.end, `expected ';' after '${c.name}', found '{'`);
    const a = this.args(c, sig!, c.name, ctx);
    const cmd: CompiledCommand = { name: c.name, line: c.line, column: c.column, tags: a.tags, args: a.args };
    if (a.match) cmd.match = a.match;
    this.commandRules(c, cmd, ctx, a.positions);
    if (sig!.block) {
      if (c.name === 'foreverypart') {
        const label = typeof cmd.tags[':name'] === 'string' ? (cmd.tags[':name'] as string) : '';
        cmd.block = this.block(c.block!, { exts: ctx.exts, loops: [...ctx.loops, label] });
      } else cmd.block = this.block(c.block!, ctx);
    }
    return cmd;
  }

  /** where: what may follow the test, for the message when an identifier follows it instead. */
  private test(t: AstTest, ctx: Ctx, where: 'block' | 'list' = 'block'): CompiledTest {
    const sig = Object.hasOwn(TESTS, t.name) ? TESTS[t.name]! : undefined;
    if (!sig) {
      if (Object.hasOwn(COMMANDS, t.name)) fail(t, `'${t.name}' is a command, not a test`);
      fail(t, `unknown test '${t.name}'`);
    }
    this.requireExt(sig!, t.name, 'test', t, ctx);
    const a = this.args(t, sig!, t.name, ctx);
    const out: CompiledTest = { name: t.name, line: t.line, column: t.column, tags: a.tags, args: a.args };
    if (a.match) out.match = a.match;
    if (a.addressPart) out.addressPart = a.addressPart;
    if (sig!.tests === 'list') {
      if (!t.testList) fail(t, `expected a test list '(' after '${t.name}'`);
      out.tests = t.tests.map((x) => this.test(x, ctx, 'list'));
    } else if (sig!.tests === 'one') {
      if (t.tests.length !== 1 || t.testList) fail(t, `'${t.name}' takes exactly one test`);
      out.tests = [this.test(t.tests[0]!, ctx, where)];
    } else if (t.tests.length) {
      const found = t.testList ? "'('" : `'${t.tests[0]!.name}'`;
      fail(t.tests[0]!, where === 'list' ? `expected ',' or ')' after the test '${t.name}', found ${found}` : `expected a block '{' after the test '${t.name}', found ${found}`);
    }
    this.testRules(t, out, a.positions);
    return out;
  }

  private str(s: string, at: Pos): string {
    if (!this.decode) return s;
    try {
      return decodeEncodedCharacters(s);
    } catch (e) {
      if (e instanceof EncodedCharacterError) fail(at, e.message);
      throw e;
    }
  }

  private value(a: AstArgument, want: ArgType, what: string): CompiledArg {
    if (want === 'number') {
      if (a.kind !== 'number') fail(a, `expected a number for ${what}, found ${kindName(a)}`);
      return (a as { value: number }).value;
    }
    if (want === 'string') {
      if (a.kind !== 'string') fail(a, `expected a string for ${what}, found ${kindName(a)}`);
      return this.str((a as { value: string }).value, a);
    }
    if (a.kind === 'string') return [this.str(a.value, a)];
    if (a.kind !== 'list') fail(a, `expected a string list for ${what}, found ${kindName(a)}`);
    return (a as { values: string[] }).values.map((s) => this.str(s, a));
  }

  private args(
    node: AstCommand | AstTest,
    sig: Signature,
    name: string,
    ctx: Ctx,
  ): { tags: { [k: string]: CompiledArg }; args: CompiledArg[]; match?: MatchSpec; addressPart?: string; positions: Pos[] } {
    // A plain object (not null-prototype) so the compiled form equals its JSON round trip; keys are only tags from the signature table.
    const tags: { [k: string]: CompiledArg } = {};
    const groups = new Map<string, string>();
    let matchType: string | undefined;
    let relation: string | undefined;
    let comparator: string | undefined;
    let addressPart: string | undefined;
    const positional: AstArgument[] = [];
    const list = node.args;
    for (let i = 0; i < list.length; i++) {
      const a = list[i]!;
      if (a.kind !== 'tag') {
        positional.push(a);
        continue;
      }
      if (positional.length) fail(a, `tagged argument ':${a.name}' must come before the positional arguments of '${name}'`);
      const tag = a.name;
      const needExt = (ext: string | undefined) => {
        if (ext && !ctx.exts.has(ext)) fail(a, `':${tag}' needs the "${ext}" extension: add require "${ext}"`);
      };
      if (sig.match && Object.hasOwn(MATCH_TAGS, tag)) {
        const m = MATCH_TAGS[tag]!;
        needExt(m.ext);
        if (matchType) fail(a, `only one match type is allowed, ':${matchType}' was already given`);
        matchType = tag;
        if (m.relational) {
          const r = list[++i];
          if (!r || r.kind !== 'string') fail(r ?? a, `expected a relation string ("gt", "ge", "lt", "le", "eq" or "ne") after ':${tag}'`);
          relation = (r as { value: string }).value.toLowerCase();
          if (!RELATIONS.includes(relation)) fail(r!, `unknown relation "${relation}": expected "gt", "ge", "lt", "le", "eq" or "ne"`);
        }
        continue;
      }
      if (sig.match && tag === 'comparator') {
        if (comparator !== undefined) fail(a, "only one ':comparator' is allowed");
        const r = list[++i];
        if (!r || r.kind !== 'string') fail(r ?? a, "expected a comparator name string after ':comparator'");
        comparator = (r as { value: string }).value.toLowerCase();
        if (!Object.hasOwn(COMPARATORS, comparator)) fail(r!, `unknown comparator "${comparator}"`);
        const ext = COMPARATORS[comparator];
        if (ext && !ctx.exts.has(ext)) fail(r!, `comparator "${comparator}" needs require "${ext}"`);
        continue;
      }
      if (sig.addressPart && Object.hasOwn(ADDRESS_PART_TAGS, tag)) {
        needExt(ADDRESS_PART_TAGS[tag]!.ext);
        if (addressPart) fail(a, `only one address part is allowed, ':${addressPart}' was already given`);
        addressPart = tag;
        continue;
      }
      const spec = Object.hasOwn(sig.tags, tag) ? sig.tags[tag] : undefined;
      if (!spec) {
        if (Object.hasOwn(MATCH_TAGS, tag) || tag === 'comparator') fail(a, `'${name}' takes no match type or comparator`);
        fail(a, `unknown tagged argument ':${tag}' for '${name}'`);
      }
      needExt(spec!.ext);
      const key = ':' + tag;
      if (key in tags) fail(a, `':${tag}' given twice`);
      if (spec!.group) {
        const other = groups.get(spec!.group);
        if (other) fail(a, `':${tag}' cannot be used together with ':${other}'`);
        groups.set(spec!.group, tag);
      }
      if (spec!.value) {
        const v = list[++i];
        if (!v || v.kind === 'tag') fail(v ?? a, `expected a ${spec!.value === 'list' ? 'string list' : spec!.value} after ':${tag}'`);
        tags[key] = this.value(v!, spec!.value, `':${tag}'`);
      } else tags[key] = true;
    }
    // Positional arguments: pick the form with the right count.
    const form = sig.args.find((f) => f.length === positional.length);
    if (!form) {
      const counts = [...new Set(sig.args.map((f) => f.length))].join(' or ');
      const at = positional[Math.max(...sig.args.map((f) => f.length))] ?? ('end' in node ? node.end : node);
      const found = positional.length;
      fail(at, `'${name}' takes ${counts} positional argument${counts === '1' ? '' : 's'}, found ${found}`);
    }
    const args = positional.map((a, k) => this.value(a, form![k]!, `argument ${k + 1} of '${name}'`));
    const out: { tags: { [k: string]: CompiledArg }; args: CompiledArg[]; match?: MatchSpec; addressPart?: string; positions: Pos[] } = {
      tags,
      args,
      positions: positional.map((p) => ({ line: p.line, column: p.column })),
    };
    if (sig.match) {
      const cmp = comparator ?? (matchType === 'count' || matchType === 'value' ? 'i;ascii-casemap' : 'i;ascii-casemap');
      out.match = { type: matchType ?? 'is', comparator: cmp };
      if (relation) out.match.relation = relation;
      if (cmp === 'i;ascii-numeric' && ['contains', 'matches', 'regex'].includes(out.match.type)) {
        fail(node, `':${out.match.type}' cannot be used with the i;ascii-numeric comparator (it only compares numbers)`);
      }
    }
    if (sig.addressPart) out.addressPart = addressPart ?? 'all';
    return out;
  }

  /** True when a string is fixed at compile time (no variables to expand). */
  private constant(s: string): boolean {
    return !this.variables || !hasVariableReference(s);
  }

  private checkRegexKeys(match: MatchSpec | undefined, keys: CompiledArg | undefined, at: Pos): void {
    if (match?.type !== 'regex' || !Array.isArray(keys)) return;
    for (const k of keys) {
      if (!this.constant(k)) continue;
      try {
        compileSieveRegex(k, false);
      } catch (e) {
        if (e instanceof RegexError) fail(at, e.message);
        throw e;
      }
    }
  }

  private checkHeaderNames(names: CompiledArg | undefined, at: Pos): void {
    const list = typeof names === 'string' ? [names] : Array.isArray(names) ? names : [];
    for (const h of list) if (this.constant(h) && !HEADER_NAME.test(h)) fail(at, `invalid header field name "${h.replace(/[^\x20-\x7e]/g, '?')}"`);
  }

  private checkModifiers(c: AstCommand, cmd: CompiledCommand): void {
    const seen = new Map<number, string>();
    for (const k of Object.keys(cmd.tags)) {
      const m = MODIFIERS[k.slice(1)];
      if (!m) continue;
      const other = seen.get(m.precedence);
      if (other) fail(c, `modifiers ':${other}' and '${k}' cannot be used together`);
      seen.set(m.precedence, k.slice(1));
    }
  }

  private commandRules(c: AstCommand, cmd: CompiledCommand, ctx: Ctx, pos: Pos[]): void {
    const at0 = pos[0] ?? c;
    switch (c.name) {
      case 'set': {
        const name = cmd.args[0] as string;
        if (!isSettableName(name)) fail(at0, `invalid variable name "${name.replace(/[^\x20-\x7e]/g, '?')}"`);
        this.checkModifiers(c, cmd);
        break;
      }
      case 'extracttext': {
        if (!ctx.loops.length) fail(c, "'extracttext' is only allowed inside 'foreverypart'");
        const name = cmd.args[0] as string;
        if (!isSettableName(name)) fail(at0, `invalid variable name "${name.replace(/[^\x20-\x7e]/g, '?')}"`);
        if (!ctx.exts.has('variables')) fail(c, "'extracttext' needs the \"variables\" extension: add require \"variables\"");
        this.checkModifiers(c, cmd);
        break;
      }
      case 'global': {
        if (!ctx.exts.has('variables')) fail(c, "'global' needs the \"variables\" extension: add require \"variables\"");
        for (const n of cmd.args[0] as string[]) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) fail(at0, `invalid variable name "${n.replace(/[^\x20-\x7e]/g, '?')}"`);
        break;
      }
      case 'include': {
        const name = cmd.args[0] as string;
        if (this.constant(name) && (name === '' || name.includes('/') || /[\x00-\x1f\x7f]/.test(name))) fail(at0, `invalid script name "${name.replace(/[^\x20-\x7e]/g, '?')}"`);
        break;
      }
      case 'break': {
        if (!ctx.loops.length) fail(c, "'break' is only allowed inside 'foreverypart'");
        const label = cmd.tags[':name'];
        if (typeof label === 'string' && !ctx.loops.includes(label)) fail(c, `'break :name "${label}"' names no enclosing foreverypart`);
        break;
      }
      case 'vacation': {
        const reason = cmd.args[0] as string;
        if (cmd.tags[':mime'] === true && this.constant(reason) && !/^[\x00-\x7f]*$/.test(reason)) {
          fail(at0, 'a vacation :mime reason must be a MIME entity in 7-bit ASCII');
        }
        break;
      }
      case 'notify': {
        const imp = cmd.tags[':importance'];
        if (typeof imp === 'string' && this.constant(imp) && !['1', '2', '3'].includes(imp)) fail(c, `':importance' must be "1", "2" or "3", found "${imp}"`);
        const method = cmd.args[0] as string;
        if (this.constant(method) && !/^mailto:/i.test(method)) fail(at0, `unsupported notification method "${method.replace(/[^\x20-\x7e]/g, '?').slice(0, 40)}": only mailto: is supported`);
        break;
      }
      case 'fileinto': {
        const su = cmd.tags[':specialuse'];
        if (typeof su === 'string' && this.constant(su) && !/^\\[A-Za-z]+$/.test(su)) fail(c, `invalid special-use flag "${su}": expected a flag like "\\\\Junk"`);
        if (this.constant(cmd.args[0] as string) && (cmd.args[0] as string) === '') fail(at0, 'empty mailbox name');
        break;
      }
      case 'redirect': {
        const addr = cmd.args[0] as string;
        if (this.constant(addr) && !/^[^\s@<>]+@[^\s@<>]+$/.test(addr.trim().replace(/^<(.*)>$/, '$1'))) fail(at0, `invalid redirect address "${addr.replace(/[^\x20-\x7e]/g, '?').slice(0, 60)}"`);
        break;
      }
      case 'setflag':
      case 'addflag':
      case 'removeflag': {
        if (cmd.args.length === 2) {
          const name = cmd.args[0] as string;
          if (!ctx.exts.has('variables')) fail(at0, `a flag variable in '${c.name}' needs the "variables" extension: add require "variables"`);
          if (!isSettableName(name)) fail(at0, `invalid variable name "${name.replace(/[^\x20-\x7e]/g, '?')}"`);
        }
        break;
      }
      case 'addheader': {
        this.checkHeaderNames(cmd.args[0], at0);
        break;
      }
      case 'deleteheader': {
        this.checkHeaderNames(cmd.args[0], at0);
        this.indexRules(c, cmd.tags);
        this.checkRegexKeys(cmd.match, cmd.args[1], pos[1] ?? c);
        break;
      }
    }
  }

  private indexRules(at: Pos, tags: { [k: string]: CompiledArg }): void {
    if (tags[':last'] === true && tags[':index'] === undefined) fail(at, "':last' needs ':index'");
    const idx = tags[':index'];
    if (typeof idx === 'number' && idx < 1) fail(at, "':index' must be 1 or more");
  }

  private testRules(t: AstTest, out: CompiledTest, pos: Pos[]): void {
    const tags = out.tags;
    switch (t.name) {
      case 'size':
        if (tags[':over'] === undefined && tags[':under'] === undefined) fail(t, "'size' needs ':over' or ':under' and a number");
        break;
      case 'header':
      case 'address':
      case 'exists':
        this.checkHeaderNames(out.args[0], pos[0] ?? t);
        if (t.name !== 'exists') this.indexRules(t, tags);
        if (tags[':mime'] === undefined) {
          for (const k of [':anychild', ':type', ':subtype', ':contenttype', ':param']) if (tags[k] !== undefined) fail(t, `'${k}' needs ':mime'`);
        }
        break;
      case 'envelope':
        for (const p of out.args[0] as string[]) {
          if (this.constant(p) && !['from', 'to', 'auth'].includes(p.toLowerCase())) fail(pos[0] ?? t, `unknown envelope part "${p.replace(/[^\x20-\x7e]/g, '?')}": expected "from" or "to"`);
        }
        break;
      case 'date':
      case 'currentdate': {
        const partArg = t.name === 'date' ? 1 : 0;
        const part = out.args[partArg] as string;
        if (this.constant(part) && !DATE_PARTS.includes(part.toLowerCase())) fail(pos[partArg] ?? t, `unknown date part "${part.replace(/[^\x20-\x7e]/g, '?')}"`);
        const zone = tags[':zone'];
        if (typeof zone === 'string' && this.constant(zone) && !/^[+-]\d{4}$/.test(zone)) fail(t, `invalid ':zone' "${zone}": expected +hhmm or -hhmm`);
        if (t.name === 'date') {
          this.checkHeaderNames(out.args[0], pos[0] ?? t);
          this.indexRules(t, tags);
        }
        break;
      }
      case 'duplicate':
        if (typeof tags[':header'] === 'string') this.checkHeaderNames(tags[':header'], t);
        break;
      case 'hasflag':
        if (out.args.length === 2) {
          if (!this.variables) fail(pos[0] ?? t, 'flag variables in \'hasflag\' need the "variables" extension: add require "variables"');
          for (const n of out.args[0] as string[]) if (!isSettableName(n)) fail(pos[0] ?? t, `invalid variable name "${n.replace(/[^\x20-\x7e]/g, '?')}"`);
        }
        break;
      case 'valid_notify_method':
      case 'notify_method_capability':
      case 'ihave':
      case 'mailboxexists':
      case 'specialuse_exists':
      case 'string':
      case 'body':
      case 'environment':
      case 'spamtest':
      case 'virustest':
        break;
    }
    const keys = out.args[out.args.length - 1];
    this.checkRegexKeys(out.match, keys, pos[pos.length - 1] ?? t);
  }
}

function FALSE_TEST(at: Pos): CompiledTest {
  return { name: 'false', line: at.line, column: at.column, tags: {}, args: [] };
}

function kindName(a: AstArgument): string {
  switch (a.kind) {
    case 'tag':
      return `the tag ':${a.name}'`;
    case 'number':
      return `the number ${a.value}`;
    case 'string':
      return 'a string';
    case 'list':
      return 'a string list';
  }
}
