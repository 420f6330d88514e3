/*
 * The :regex match type: POSIX extended regular expressions (what the regex
 * draft specifies), compiled to a small NFA program and run by a Pike VM.
 *
 * Exports: compileSieveRegex, execSieveRegex, RegexProgram, RegexError.
 * Security: patterns come from users and, through variables, from message
 * headers; subjects come from messages. JavaScript's RegExp backtracks: one
 * exec of (a+)+b or .*a.*b.*c can run for minutes and cannot be interrupted,
 * which would stall every session of the process. This engine instead walks
 * all NFA states in step with the subject, so matching costs at most
 * (subject length x program size) and is charged to the run's step budget
 * as it goes. Patterns are capped at MAX_REGEX_LENGTH characters, programs
 * at MAX_PROGRAM instructions (bounded repetitions are expanded), captured
 * groups at MAX_GROUPS, subjects at MAX_REGEX_SUBJECT.
 * Standards: POSIX.1-2017 section 9.4 (ERE: alternation, groups, * + ? and
 * {n,m} intervals, bracket expressions with [:class:], [=c=], [.c.], anchors)
 * as draft-ietf-sieve-regex-01 asks. Deviations: submatches follow the
 * leftmost-first (Perl) rule, not POSIX leftmost-longest, which only changes
 * ${n} in ambiguous patterns; back-references are refused (not ERE, and
 * exponential); `\` before an ordinary character means that character.
 */
import { MAX_REGEX_GROUPS as MAX_GROUPS, MAX_REGEX_LENGTH, MAX_REGEX_PROGRAM as MAX_PROGRAM, MAX_REGEX_SUBJECT } from './limits.js';

export class RegexError extends Error {}


type Ranges = Array<[number, number]>;
type Node =
  | { t: 'char'; c: number }
  | { t: 'any' }
  | { t: 'class'; ranges: Ranges; neg: boolean }
  | { t: 'bol' }
  | { t: 'eol' }
  | { t: 'empty' }
  | { t: 'group'; idx: number; body: Node }
  | { t: 'cat'; items: Node[] }
  | { t: 'alt'; items: Node[] }
  | { t: 'rep'; body: Node; min: number; max: number };

type Inst =
  | { op: 'char'; c: number }
  | { op: 'any' }
  | { op: 'class'; ranges: Ranges; neg: boolean }
  | { op: 'split'; x: number; y: number }
  | { op: 'jmp'; x: number }
  | { op: 'save'; n: number }
  | { op: 'bol' }
  | { op: 'eol' }
  | { op: 'match' };

export interface RegexProgram {
  prog: Inst[];
  groups: number;
  caseInsensitive: boolean;
  /** The pattern starts with ^ (outside any alternation): only a match at position 0 is possible. */
  anchored: boolean;
}

const CLASSES: Record<string, Ranges> = {
  alpha: [[65, 90], [97, 122]],
  digit: [[48, 57]],
  alnum: [[48, 57], [65, 90], [97, 122]],
  upper: [[65, 90]],
  lower: [[97, 122]],
  space: [[9, 13], [32, 32]],
  blank: [[9, 9], [32, 32]],
  punct: [[33, 47], [58, 64], [91, 96], [123, 126]],
  print: [[32, 126]],
  graph: [[33, 126]],
  cntrl: [[0, 31], [127, 127]],
  xdigit: [[48, 57], [65, 70], [97, 102]],
};

const foldCp = (c: number): number => (c >= 65 && c <= 90 ? c + 32 : c);

class Parser {
  private i = 0;
  groups = 0;
  constructor(
    private readonly p: number[],
    private readonly ci: boolean,
  ) {}

  parse(): Node {
    const n = this.alt();
    if (this.i < this.p.length) throw new RegexError("unmatched ')' in regular expression");
    return n;
  }

  private peek(): number | undefined {
    return this.p[this.i];
  }

  private alt(): Node {
    const items = [this.seq()];
    while (this.peek() === 0x7c) {
      this.i++;
      items.push(this.seq());
    }
    return items.length === 1 ? items[0]! : { t: 'alt', items };
  }

  private seq(): Node {
    const items: Node[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === 0x7c || c === 0x29) break;
      let atom = this.atom();
      for (;;) {
        const q = this.quantifier();
        if (!q) break;
        if (atom.t === 'bol' || atom.t === 'eol') throw new RegexError('a repetition needs something to repeat');
        atom = { t: 'rep', body: atom, min: q[0], max: q[1] };
      }
      items.push(atom);
    }
    if (items.length === 0) return { t: 'empty' };
    return items.length === 1 ? items[0]! : { t: 'cat', items };
  }

  private quantifier(): [number, number] | null {
    const c = this.peek();
    if (c === 0x2a) return this.i++, [0, Infinity];
    if (c === 0x2b) return this.i++, [1, Infinity];
    if (c === 0x3f) return this.i++, [0, 1];
    if (c === 0x7b) {
      const rest = String.fromCodePoint(...this.p.slice(this.i, this.i + 12));
      const m = /^\{(\d{1,3})(,(\d{0,3}))?\}/.exec(rest);
      if (!m) return null; // a lone "{" is literal
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      if (min > 255 || max < min || (max !== Infinity && max > 255)) throw new RegexError('invalid repetition count in regular expression');
      this.i += m[0].length;
      return [min, max];
    }
    return null;
  }

  private lit(c: number): Node {
    return { t: 'char', c: this.ci ? foldCp(c) : c };
  }

  private atom(): Node {
    const c = this.p[this.i++]!;
    switch (c) {
      case 0x28: {
        // (
        if (this.peek() === 0x3f) throw new RegexError("'(?' is not part of POSIX extended regular expressions");
        const idx = ++this.groups;
        if (idx > MAX_GROUPS) throw new RegexError(`more than ${MAX_GROUPS} groups in regular expression`);
        const body = this.alt();
        if (this.p[this.i++] !== 0x29) throw new RegexError("unmatched '(' in regular expression");
        return { t: 'group', idx, body };
      }
      case 0x5b:
        return this.bracket();
      case 0x2e:
        return { t: 'any' };
      case 0x5e:
        return { t: 'bol' };
      case 0x24:
        return { t: 'eol' };
      case 0x5c: {
        const d = this.p[this.i++];
        if (d === undefined) throw new RegexError('regular expression ends with a backslash');
        if (d >= 0x31 && d <= 0x39) throw new RegexError('back-references are not supported in regular expressions');
        return this.lit(d);
      }
      case 0x2a:
      case 0x2b:
      case 0x3f:
        throw new RegexError('a repetition needs something to repeat');
      default:
        return this.lit(c);
    }
  }

  private bracket(): Node {
    const ranges: Ranges = [];
    let neg = false;
    if (this.peek() === 0x5e) {
      neg = true;
      this.i++;
    }
    let first = true;
    for (;;) {
      const c = this.p[this.i];
      if (c === undefined) throw new RegexError("unterminated '[' in regular expression");
      if (c === 0x5d && !first) {
        this.i++;
        break;
      }
      first = false;
      let lo: number;
      if (c === 0x5b && (this.p[this.i + 1] === 0x3a || this.p[this.i + 1] === 0x3d || this.p[this.i + 1] === 0x2e)) {
        const kind = this.p[this.i + 1]!;
        let j = this.i + 2;
        while (j + 1 < this.p.length && !(this.p[j] === kind && this.p[j + 1] === 0x5d)) j++;
        if (j + 1 >= this.p.length) throw new RegexError('unterminated bracket item in regular expression');
        const name = String.fromCodePoint(...this.p.slice(this.i + 2, j));
        this.i = j + 2;
        if (kind === 0x3a) {
          const cls = CLASSES[name];
          if (!cls) throw new RegexError(`unknown character class [:${name.slice(0, 20)}:]`);
          ranges.push(...cls);
          continue;
        }
        const cps = Array.from(name, (x) => x.codePointAt(0)!);
        if (cps.length !== 1) throw new RegexError('only single characters are supported in [= =] and [. .]');
        lo = cps[0]!;
      } else {
        lo = c;
        this.i++;
      }
      if (this.p[this.i] === 0x2d && this.p[this.i + 1] !== undefined && this.p[this.i + 1] !== 0x5d) {
        const hi = this.p[this.i + 1]!;
        this.i += 2;
        if (hi < lo) throw new RegexError('invalid range in bracket expression');
        ranges.push([lo, hi]);
      } else ranges.push([lo, lo]);
    }
    return { t: 'class', ranges, neg };
  }
}

function emit(n: Node, prog: Inst[]): void {
  if (prog.length > MAX_PROGRAM) throw new RegexError('regular expression too complex');
  switch (n.t) {
    case 'char':
      prog.push({ op: 'char', c: n.c });
      return;
    case 'any':
      prog.push({ op: 'any' });
      return;
    case 'class':
      prog.push({ op: 'class', ranges: n.ranges, neg: n.neg });
      return;
    case 'bol':
      prog.push({ op: 'bol' });
      return;
    case 'eol':
      prog.push({ op: 'eol' });
      return;
    case 'empty':
      return;
    case 'group':
      prog.push({ op: 'save', n: 2 * n.idx });
      emit(n.body, prog);
      prog.push({ op: 'save', n: 2 * n.idx + 1 });
      return;
    case 'cat':
      for (const x of n.items) emit(x, prog);
      return;
    case 'alt': {
      const jumps: Array<{ op: 'jmp'; x: number }> = [];
      n.items.forEach((x, k) => {
        if (k < n.items.length - 1) {
          const split: Inst = { op: 'split', x: prog.length + 1, y: 0 };
          prog.push(split);
          emit(x, prog);
          const j = { op: 'jmp' as const, x: 0 };
          prog.push(j);
          jumps.push(j);
          split.y = prog.length;
        } else emit(x, prog);
      });
      for (const j of jumps) j.x = prog.length;
      return;
    }
    case 'rep': {
      for (let k = 0; k < n.min; k++) emit(n.body, prog);
      if (n.max === Infinity) {
        const split: Inst = { op: 'split', x: prog.length + 1, y: 0 };
        const at = prog.length;
        prog.push(split);
        emit(n.body, prog);
        prog.push({ op: 'jmp', x: at });
        split.y = prog.length;
        return;
      }
      const splits: Array<{ op: 'split'; x: number; y: number }> = [];
      for (let k = n.min; k < n.max; k++) {
        const split = { op: 'split' as const, x: prog.length + 1, y: 0 };
        prog.push(split);
        splits.push(split);
        emit(n.body, prog);
      }
      for (const s of splits) s.y = prog.length;
      return;
    }
  }
}

/** Compile; caseInsensitive folds ASCII letters (i;ascii-casemap). Throws RegexError. */
export function compileSieveRegex(pattern: string, caseInsensitive: boolean): RegexProgram {
  if (pattern.length > MAX_REGEX_LENGTH) throw new RegexError(`regular expression longer than ${MAX_REGEX_LENGTH} characters`);
  const cps = Array.from(pattern, (x) => x.codePointAt(0)!);
  const parser = new Parser(cps, caseInsensitive);
  const ast = parser.parse();
  const prog: Inst[] = [{ op: 'save', n: 0 }];
  emit(ast, prog);
  prog.push({ op: 'save', n: 1 }, { op: 'match' });
  if (prog.length > MAX_PROGRAM) throw new RegexError('regular expression too complex');
  const anchored = ast.t === 'bol' || (ast.t === 'cat' && ast.items[0]!.t === 'bol');
  return { prog, groups: parser.groups, caseInsensitive, anchored };
}

function inClass(ranges: Ranges, neg: boolean, c: number, ci: boolean): boolean {
  const test = (x: number) => ranges.some(([lo, hi]) => x >= lo && x <= hi);
  let hit = test(c);
  if (!hit && ci) {
    if (c >= 97 && c <= 122) hit = test(c - 32);
    else if (c >= 65 && c <= 90) hit = test(c + 32);
  }
  return hit !== neg;
}

function fromCodePoints(cps: number[], a: number, b: number): string {
  let out = '';
  for (let i = a; i < b; i += 4096) out += String.fromCodePoint(...cps.slice(i, Math.min(b, i + 4096)));
  return out;
}

interface Thread {
  pc: number;
  caps: number[];
}

/**
 * Search the subject (unanchored, like regexec). Returns the groups as
 * strings (${0} the whole match, unmatched groups ""), or null. tick(n) is
 * charged one unit per 256 thread steps and may throw to stop the run.
 */
export function execSieveRegex(re: RegexProgram, subject: string, tick: (n: number) => void): string[] | null {
  const orig = Array.from(subject.length > MAX_REGEX_SUBJECT ? subject.slice(0, MAX_REGEX_SUBJECT) : subject, (x) => x.codePointAt(0)!);
  const s = re.caseInsensitive ? orig.map(foldCp) : orig;
  const { prog } = re;
  const ncap = 2 * (re.groups + 1);
  const n = s.length;
  let work = 0;
  const mark = new Int32Array(prog.length).fill(-1);
  let generation = 0;

  // Explicit stack (no recursion), reused between calls.
  const pcs: number[] = [];
  const capss: number[][] = [];
  const add = (list: Thread[], pc0: number, caps0: number[], pos: number) => {
    pcs.push(pc0);
    capss.push(caps0);
    while (pcs.length) {
      const pc = pcs.pop()!;
      const caps = capss.pop()!;
      if (mark[pc] === generation) continue;
      mark[pc] = generation;
      if (++work >= 256) {
        tick(1);
        work = 0;
      }
      const inst = prog[pc]!;
      switch (inst.op) {
        case 'jmp':
          pcs.push(inst.x);
          capss.push(caps);
          break;
        case 'split':
          pcs.push(inst.y, inst.x);
          capss.push(caps, caps);
          break;
        case 'save': {
          const c2 = caps.slice();
          c2[inst.n] = pos;
          pcs.push(pc + 1);
          capss.push(c2);
          break;
        }
        case 'bol':
          if (pos === 0) {
            pcs.push(pc + 1);
            capss.push(caps);
          }
          break;
        case 'eol':
          if (pos === n) {
            pcs.push(pc + 1);
            capss.push(caps);
          }
          break;
        default:
          list.push({ pc, caps });
      }
    }
  };

  let clist: Thread[] = [];
  let matched: number[] | null = null;
  const empty = new Array<number>(ncap).fill(-1);
  for (let pos = 0; pos <= n; pos++) {
    if (matched === null && (pos === 0 || !re.anchored)) {
      generation++;
      // Existing threads keep priority over a match starting here: re-mark them.
      for (const t of clist) mark[t.pc] = generation;
      add(clist, 0, empty, pos);
    }
    if (clist.length === 0 && (matched !== null || re.anchored)) break;
    const nlist: Thread[] = [];
    generation++;
    for (const t of clist) {
      const inst = prog[t.pc]!;
      if (inst.op === 'match') {
        matched = t.caps;
        break; // lower-priority threads are cut
      }
      if (pos >= n) continue;
      const c = s[pos]!;
      const ok = inst.op === 'any' || (inst.op === 'char' && inst.c === c) || (inst.op === 'class' && inClass(inst.ranges, inst.neg, c, re.caseInsensitive));
      if (ok) add(nlist, t.pc + 1, t.caps, pos + 1);
    }
    clist = nlist;
  }
  if (!matched) return null;
  const out: string[] = [];
  for (let g = 0; g <= re.groups; g++) {
    const a = matched[2 * g]!;
    const b = matched[2 * g + 1]!;
    out.push(a >= 0 && b >= a ? fromCodePoints(orig, a, b) : '');
  }
  return out;
}
