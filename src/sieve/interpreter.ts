/*
 * The Sieve interpreter: runs a CompiledScript against one message and
 * returns the actions to take. It performs none of them: delivery does,
 * through the mailbox store and the outbound queue.
 *
 * Exports: runSieve, runSieveSequence (and the env/result types re-exported
 * from env.ts).
 * Security: the script is the user's, the message anyone's. The run is pure
 * (no I/O; time only from env.now and the injected env.clock) and bounded: a step budget counts every
 * command, test and comparison (and wildcard/regex work), redirects and
 * actions are capped, includes are depth-limited and loop-checked. Any
 * runtime error, including a spent budget, gives the fallback result
 * `{ ok: false, error, actions: [keep] }` so the message still reaches INBOX.
 * Standards: RFC 5228 (2.10 actions and implicit keep, 4, 5), RFC 5229,
 * RFC 5230/6131, RFC 5231, RFC 5232, RFC 5233, RFC 3894, RFC 5260, RFC 5293,
 * RFC 5429, RFC 5435, RFC 5463, RFC 5490, RFC 5183, RFC 5235, RFC 5703,
 * RFC 6609, RFC 7352, RFC 8579, draft-ietf-sieve-regex.
 */
import { createHash } from 'node:crypto';
import type { CompiledArg, CompiledCommand, CompiledScript, CompiledTest, MatchSpec } from './compiled.js';
import type {
  DuplicateRecord,
  HeaderEdit,
  KeepAction,
  SieveAction,
  SieveEnv,
  SieveMessagePart,
  SieveRunResult,
  VacationAction,
} from './env.js';
import { IMPLICIT_EXTENSIONS, SIEVE_EXTENSIONS } from './extensions.js';
import {
  DEFAULT_DUPLICATE_SECONDS,
  DEFAULT_MAX_REDIRECTS,
  DEFAULT_MAX_STEPS,
  MAX_ACTIONS,
  MAX_ADDHEADER_VALUE,
  MAX_BODY_TEXT,
  MAX_DUPLICATE_SECONDS,
  MAX_HEADER_EDITS,
  MAX_INCLUDE_DEPTH,
  MAX_MATCH_VARIABLES,
  MAX_MIME_DEPTH,
  MAX_VARIABLES,
  MAX_VARIABLE_SIZE,
} from './limits.js';
import { matchAny, type MatchState } from './match.js';
import { RegexError, type RegexProgram } from './regex.js';
import { addressPart, extractAddresses } from './address.js';
import { dateParts, parseMessageDate, parseZone } from './date.js';
import { applyModifiers, expandVariables } from './variables.js';
import { vacationSuppressed } from './vacation.js';

export type * from './env.js';

/** RFC 5293 section 8: a script must never remove trace (Received) or loop-protection (Auto-Submitted) fields. */
const UNDELETABLE_HEADERS = ['received', 'auto-submitted'];
const MAILTO = /^mailto:[^\s@]+@[^\s@?]+(\?.*)?$/i;

class RuntimeError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    message: string,
  ) {
    super(message);
  }
}

type Signal = null | 'stop' | 'return' | { break: string };

interface Frame {
  script: CompiledScript;
  variables: boolean;
  vars: Map<string, string>;
  declaredGlobal: Set<string>;
  match: string[];
  /** Current MIME part (foreverypart), the message outside loops. */
  part: SieveMessagePart;
}

interface Where {
  line: number;
  column: number;
}

/** Run a compiled script. Never throws: a runtime error returns the keep fallback. */
export function runSieve(script: CompiledScript, env: SieveEnv): SieveRunResult {
  return runSieveSequence([script], env);
}

/**
 * Run the admin's before scripts, the user's active script and the after
 * scripts as one delivery, sharing actions, flags and limits. As Pigeonhole
 * does with sieve_before/sieve_after, the next script runs only while the
 * message is still kept (implicitly or by an explicit keep); `stop` ends the
 * current script only. A runtime error in any of them gives the keep fallback
 * for the whole delivery.
 */
export function runSieveSequence(scripts: readonly CompiledScript[], env: SieveEnv): SieveRunResult {
  const run = new Run(env);
  try {
    for (const script of scripts) {
      if (script.version !== 1) throw new RuntimeError(1, 1, 'compiled script of an unknown version: recompile it');
      run.main(script);
      if (!run.stillKept()) break;
    }
    return run.result();
  } catch (e) {
    const error =
      e instanceof RuntimeError
        ? { line: e.line, column: e.column, message: e.message }
        : { line: 0, column: 0, message: e instanceof RangeError ? 'script too complex' : 'internal error while running the script' };
    const keep: KeepAction = { type: 'keep', flags: [], implicit: true, edits: 0 };
    return { ok: false, error, actions: [keep], implicitKeep: true, flags: [], edits: [], duplicates: [], warnings: run.warnings, steps: run.steps };
  }
}

class Run implements MatchState {
  steps = 0;
  readonly warnings: string[] = [];
  readonly regexCache = new Map<string, RegexProgram>();
  private readonly maxSteps: number;
  private readonly maxRedirects: number;
  private redirects = 0;
  private readonly actions: SieveAction[] = [];
  private implicitKeep = true;
  private readonly edits: HeaderEdit[] = [];
  private readonly view = new Map<string, string[]>();
  private flags: string[] = [];
  private readonly globals = new Map<string, string>();
  private readonly duplicates: DuplicateRecord[] = [];
  private readonly included = new Set<string>();
  private readonly includeStack: string[] = [];
  private readonly exts: Set<string>;
  private readonly protectedHeaders: Set<string>;
  private at: Where = { line: 0, column: 0 };
  private rejectAt: Where = { line: 0, column: 0 };
  private readonly clock: (() => number) | undefined;
  private readonly deadline: number;
  private nextClockCheck = 256;

  constructor(private readonly env: SieveEnv) {
    this.maxSteps = env.maxSteps ?? DEFAULT_MAX_STEPS;
    this.maxRedirects = env.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
    this.exts = new Set((env.extensions ?? SIEVE_EXTENSIONS).map((x) => x.toLowerCase()));
    // Subject may always be edited (RFC 5293 section 8); the configured list applies to adding and deleting.
    this.protectedHeaders = new Set((env.protectedHeaders ?? []).map((x) => x.toLowerCase()).filter((x) => x !== 'subject'));
    this.clock = env.clock;
    this.deadline = env.clock && env.maxMillis !== undefined ? env.clock() + env.maxMillis : Infinity;
  }

  tick(n: number): void {
    this.steps += n;
    if (this.steps > this.maxSteps) this.fail(`the script ran too long (more than ${this.maxSteps} steps)`);
    if (this.clock && this.steps >= this.nextClockCheck) {
      this.nextClockCheck = this.steps + 256;
      if (this.clock() > this.deadline) this.fail('the script ran too long (time limit)');
    }
  }

  private fail(message: string): never {
    throw new RuntimeError(this.at.line, this.at.column, message);
  }

  main(script: CompiledScript): void {
    // Each script of a sequence has its own include set and global variables; only actions and flags carry over.
    this.included.clear();
    this.globals.clear();
    this.execScript(script);
  }

  stillKept(): boolean {
    return this.implicitKeep || this.actions.some((a) => a.type === 'keep');
  }

  private execScript(script: CompiledScript): Signal {
    // An extension switched off after the script was stored: refuse rather than run half of it.
    for (const e of script.requires) {
      if (!this.exts.has(e) && !IMPLICIT_EXTENSIONS.includes(e)) this.fail(`the script requires "${e}", which is not enabled`);
    }
    const frame: Frame = {
      script,
      variables: script.requires.includes('variables'),
      vars: new Map(),
      declaredGlobal: new Set(),
      match: [],
      part: this.env.message,
    };
    return this.block(script.commands, frame);
  }

  result(): SieveRunResult {
    // RFC 5429 2.1 and 2.2: reject/ereject exclude keeping, filing, redirecting and answering.
    const reject = this.actions.find((a) => a.type === 'reject');
    if (reject && this.actions.some((a) => a.type === 'keep' || a.type === 'fileinto' || a.type === 'redirect' || a.type === 'vacation')) {
      throw new RuntimeError(this.rejectAt.line, this.rejectAt.column, 'reject cannot be combined with keep, fileinto, redirect or vacation');
    }
    const actions = [...this.actions];
    if (this.implicitKeep) actions.push({ type: 'keep', flags: [...this.flags], implicit: true, edits: this.edits.length });
    // RFC 5228 2.10.3: keep and fileinto "INBOX" store one copy; the flags of both are kept.
    const keep = actions.find((a): a is KeepAction => a.type === 'keep');
    if (keep) {
      for (let i = actions.length - 1; i >= 0; i--) {
        const a = actions[i]!;
        if (a.type === 'fileinto' && a.mailbox.toUpperCase() === 'INBOX' && a.specialUse === null) {
          keep.flags = [...keep.flags, ...a.flags.filter((x) => !keep.flags.some((y) => y.toLowerCase() === x.toLowerCase()))];
          actions.splice(i, 1);
        }
      }
    }
    return { ok: true, actions, implicitKeep: this.implicitKeep, flags: [...this.flags], edits: this.edits, duplicates: this.duplicates, warnings: this.warnings, steps: this.steps };
  }

  // ---- values ------------------------------------------------------------

  private expand(s: string, f: Frame): string {
    if (!f.variables) return s;
    return expandVariables(s, (name) => {
      if (/^[0-9]+$/.test(name)) return f.match[Number(name)] ?? '';
      if (name.startsWith('global.')) return this.globals.get(name.slice(7)) ?? '';
      if (name.includes('.')) return null;
      if (f.declaredGlobal.has(name)) return this.globals.get(name) ?? '';
      return f.vars.get(name) ?? '';
    });
  }

  private str(a: CompiledArg | undefined, f: Frame): string {
    if (typeof a === 'string') return this.expand(a, f);
    if (Array.isArray(a)) return this.expand(a[0] ?? '', f);
    return a === undefined || a === true ? '' : String(a);
  }

  private list(a: CompiledArg | undefined, f: Frame): string[] {
    if (Array.isArray(a)) return a.map((s) => this.expand(s, f));
    if (typeof a === 'string') return [this.expand(a, f)];
    return [];
  }

  private setVar(rawName: string, value: string, f: Frame): void {
    const name = rawName.toLowerCase();
    const v = value.length > MAX_VARIABLE_SIZE ? value.slice(0, MAX_VARIABLE_SIZE) : value;
    let store = f.vars;
    let key = name;
    if (name.startsWith('global.')) {
      store = this.globals;
      key = name.slice(7);
    } else if (f.declaredGlobal.has(name)) store = this.globals;
    if (!store.has(key) && store.size >= MAX_VARIABLES) this.fail(`too many variables (the limit is ${MAX_VARIABLES})`);
    store.set(key, v);
  }

  private getVar(rawName: string, f: Frame): string {
    const name = rawName.toLowerCase();
    if (name.startsWith('global.')) return this.globals.get(name.slice(7)) ?? '';
    if (f.declaredGlobal.has(name)) return this.globals.get(name) ?? '';
    return f.vars.get(name) ?? '';
  }

  /** Flags as RFC 5232 keeps them: space-separated words, no duplicates (case-insensitive). */
  private static flagList(strings: readonly string[]): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    for (const s of strings) {
      for (const w of s.split(/\s+/)) {
        if (w === '' || seen.has(w.toLowerCase())) continue;
        seen.add(w.toLowerCase());
        out.push(w);
      }
    }
    return out;
  }

  // ---- commands ------------------------------------------------------------

  private block(cmds: readonly CompiledCommand[], f: Frame): Signal {
    for (const c of cmds) {
      const s = this.command(c, f);
      if (s) return s;
    }
    return null;
  }

  private addAction(a: SieveAction): void {
    if (this.actions.length >= MAX_ACTIONS) this.fail(`too many actions (the limit is ${MAX_ACTIONS})`);
    this.actions.push(a);
  }

  private command(c: CompiledCommand, f: Frame): Signal {
    this.at = c;
    this.tick(1);
    const t = c.tags;
    switch (c.name) {
      case 'if': {
        for (const b of c.branches ?? []) {
          if (this.test(b.test, f)) {
            if (!b.exts?.includes('variables') || f.variables) return this.block(b.block, f);
            // "variables" made available by ihave applies inside this block only.
            f.variables = true;
            try {
              return this.block(b.block, f);
            } finally {
              f.variables = false;
            }
          }
          this.at = c;
        }
        return c.elseBlock ? this.block(c.elseBlock, f) : null;
      }
      case 'stop':
        return 'stop';
      case 'keep': {
        const flags = t[':flags'] !== undefined ? Run.flagList(this.list(t[':flags'], f)) : [...this.flags];
        const prev = this.actions.find((a): a is KeepAction => a.type === 'keep');
        if (prev) prev.flags = flags;
        else this.addAction({ type: 'keep', flags, implicit: false, edits: this.edits.length });
        this.implicitKeep = false;
        return null;
      }
      case 'discard':
        if (!this.actions.some((a) => a.type === 'discard')) this.addAction({ type: 'discard' });
        this.implicitKeep = false;
        return null;
      case 'redirect': {
        const address = this.str(c.args[0], f).trim().replace(/^<(.*)>$/, '$1');
        if (!/^[^\s@<>]+@[^\s@<>]+$/.test(address)) this.fail(`invalid redirect address "${clip(address)}"`);
        const copy = t[':copy'] === true;
        if (!copy) this.implicitKeep = false;
        const dup = this.actions.find((a) => a.type === 'redirect' && a.address.toLowerCase() === address.toLowerCase());
        if (dup && dup.type === 'redirect') {
          if (!copy) dup.copy = false;
          return null;
        }
        if (++this.redirects > this.maxRedirects) this.fail(`too many redirects (the limit is ${this.maxRedirects})`);
        this.addAction({ type: 'redirect', address, copy, edits: this.edits.length });
        return null;
      }
      case 'fileinto': {
        const mailbox = this.str(c.args[0], f);
        if (mailbox === '' || /[\x00-\x1f\x7f]/.test(mailbox)) this.fail(`invalid mailbox name "${clip(mailbox)}"`);
        const flags = t[':flags'] !== undefined ? Run.flagList(this.list(t[':flags'], f)) : [...this.flags];
        const copy = t[':copy'] === true;
        if (!copy) this.implicitKeep = false;
        const specialUse = t[':specialuse'] !== undefined ? this.str(t[':specialuse'], f) : null;
        const dup = this.actions.find((a) => a.type === 'fileinto' && a.mailbox === mailbox);
        if (dup && dup.type === 'fileinto') {
          dup.flags = flags;
          return null;
        }
        this.addAction({ type: 'fileinto', mailbox, flags, copy, create: t[':create'] === true, specialUse, edits: this.edits.length });
        return null;
      }
      case 'reject':
      case 'ereject': {
        if (this.actions.some((a) => a.type === 'reject')) this.fail('only one reject or ereject per script run');
        this.rejectAt = { line: c.line, column: c.column };
        this.addAction({ type: 'reject', reason: this.str(c.args[0], f), ereject: c.name === 'ereject' });
        this.implicitKeep = false;
        return null;
      }
      case 'setflag':
      case 'addflag':
      case 'removeflag': {
        const named = c.args.length === 2;
        const given = Run.flagList(this.list(c.args[named ? 1 : 0], f));
        const current = named ? Run.flagList([this.getVar(this.str(c.args[0], f), f)]) : this.flags;
        let next: string[];
        if (c.name === 'setflag') next = given;
        else if (c.name === 'addflag') next = Run.flagList([...current, ...given]);
        else {
          const drop = new Set(given.map((g) => g.toLowerCase()));
          next = current.filter((x) => !drop.has(x.toLowerCase()));
        }
        if (named) this.setVar(this.str(c.args[0], f), next.join(' '), f);
        else this.flags = next;
        return null;
      }
      case 'vacation':
        this.vacation(c, f);
        return null;
      case 'set': {
        const mods = Object.keys(t).map((k) => k.slice(1));
        this.setVar(c.args[0] as string, applyModifiers(this.str(c.args[1], f), mods), f);
        return null;
      }
      case 'addheader':
        this.addheader(c, f);
        return null;
      case 'deleteheader':
        this.deleteheader(c, f);
        return null;
      case 'include':
        return this.include(c, f);
      case 'return':
        return 'return';
      case 'global':
        for (const n of c.args[0] as string[]) f.declaredGlobal.add(n.toLowerCase());
        return null;
      case 'foreverypart':
        return this.foreverypart(c, f);
      case 'break':
        return { break: t[':name'] !== undefined ? this.str(t[':name'], f) : '' };
      case 'extracttext': {
        const text = f.part.text ?? '';
        let v = text;
        if (typeof t[':first'] === 'number') v = firstChars(text, t[':first']);
        const mods = Object.keys(t).filter((k) => k !== ':first').map((k) => k.slice(1));
        this.setVar(c.args[0] as string, applyModifiers(v, mods), f);
        return null;
      }
      case 'notify':
        this.notify(c, f);
        return null;
      case 'error':
        this.fail(`error: ${this.str(c.args[0], f)}`);
      // eslint-disable-next-line no-fallthrough
      default:
        this.fail(`unknown command '${c.name}'`);
    }
  }

  private vacation(c: CompiledCommand, f: Frame): void {
    const t = c.tags;
    if (this.actions.some((a) => a.type === 'vacation')) this.fail('vacation used twice in one run');
    const reason = this.str(c.args[0], f);
    const subject = t[':subject'] !== undefined ? this.str(t[':subject'], f) : null;
    const from = t[':from'] !== undefined ? this.str(t[':from'], f) : null;
    const mime = t[':mime'] === true;
    let seconds: number;
    if (typeof t[':seconds'] === 'number') seconds = t[':seconds'];
    else seconds = (typeof t[':days'] === 'number' ? Math.max(1, t[':days']) : 7) * 86400;
    const handle =
      t[':handle'] !== undefined
        ? this.str(t[':handle'], f)
        : 'auto:' + createHash('sha256').update(JSON.stringify([reason, subject, from, mime])).digest('hex').slice(0, 32);
    const addresses = this.list(t[':addresses'], f);
    const to = this.env.envelope.from;
    const v: VacationAction = { type: 'vacation', reason, mime, subject, from, addresses, handle, seconds, to, suppressed: vacationSuppressed((n) => this.headerValues(n), this.env.envelope, addresses) };
    this.addAction(v);
  }

  private notify(c: CompiledCommand, f: Frame): void {
    const t = c.tags;
    const method = this.str(c.args[0], f);
    if (!MAILTO.test(method)) this.fail(`invalid notification method "${clip(method)}"`);
    const imp = t[':importance'] !== undefined ? this.str(t[':importance'], f) : '2';
    if (!['1', '2', '3'].includes(imp)) this.fail(`invalid :importance "${clip(imp)}"`);
    if (this.actions.some((a) => a.type === 'notify' && a.method === method)) return; // RFC 5435 3.2: duplicates ignored
    this.addAction({
      type: 'notify',
      method,
      from: t[':from'] !== undefined ? this.str(t[':from'], f) : null,
      importance: Number(imp) as 1 | 2 | 3,
      options: this.list(t[':options'], f),
      message: t[':message'] !== undefined ? this.str(t[':message'], f) : null,
    });
  }

  // ---- header view and editheader ----------------------------------------

  /** Values of a top-level header as edited so far. */
  private headerValues(name: string): string[] {
    const key = name.toLowerCase();
    let v = this.view.get(key);
    if (!v) {
      v = [...this.env.message.header(name)];
      this.view.set(key, v);
    }
    return v;
  }

  private partHeader(part: SieveMessagePart, name: string): readonly string[] {
    return part === this.env.message ? this.headerValues(name) : part.header(name);
  }

  private edit(e: HeaderEdit): void {
    if (this.edits.length >= MAX_HEADER_EDITS) this.fail(`too many header edits (the limit is ${MAX_HEADER_EDITS})`);
    this.edits.push(e);
  }

  private addheader(c: CompiledCommand, f: Frame): void {
    const name = this.str(c.args[0], f);
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) this.fail(`invalid header field name "${clip(name)}"`);
    if (this.protectedHeaders.has(name.toLowerCase())) {
      this.warnings.push(`addheader ${name}: refused, the header field is protected`);
      return;
    }
    // No line breaks (a script must not inject fields) and no other control characters but tab.
    let value = this.str(c.args[1], f).replace(/\r?\n|\r/g, ' ').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, ' ');
    if (value.length > MAX_ADDHEADER_VALUE) value = value.slice(0, MAX_ADDHEADER_VALUE);
    const last = c.tags[':last'] === true;
    const v = this.headerValues(name);
    if (last) v.push(value);
    else v.unshift(value);
    this.edit({ op: 'add', name, value, last });
  }

  private deleteheader(c: CompiledCommand, f: Frame): void {
    const name = this.str(c.args[0], f);
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) this.fail(`invalid header field name "${clip(name)}"`);
    if (this.protectedHeaders.has(name.toLowerCase()) || UNDELETABLE_HEADERS.includes(name.toLowerCase())) {
      this.warnings.push(`deleteheader ${name}: refused, the header field is protected`);
      return;
    }
    const v = this.headerValues(name);
    let candidates = v.map((_, i) => i);
    const idx = c.tags[':index'];
    if (typeof idx === 'number') {
      const pos = c.tags[':last'] === true ? v.length - idx : idx - 1;
      candidates = pos >= 0 && pos < v.length ? [pos] : [];
    }
    if (c.args.length > 1) {
      const keys = this.list(c.args[1], f);
      const spec = c.match ?? { type: 'is', comparator: 'i;ascii-casemap' };
      candidates = candidates.filter((i) => this.matches([v[i]!], keys, spec, f, false));
    }
    for (const i of candidates.sort((a, b) => b - a)) {
      v.splice(i, 1);
      this.edit({ op: 'delete', name, index: i + 1 });
    }
  }

  // ---- include, foreverypart ------------------------------------------------

  private include(c: CompiledCommand, f: Frame): Signal {
    const t = c.tags;
    const location: 'personal' | 'global' = t[':global'] === true ? 'global' : 'personal';
    const name = this.str(c.args[0], f);
    const key = `${location}/${name}`;
    if (t[':once'] === true && this.included.has(key)) return null;
    if (this.includeStack.includes(key)) this.fail(`include loop: "${clip(name)}" includes itself`);
    if (this.includeStack.length >= MAX_INCLUDE_DEPTH) this.fail(`includes nested too deeply (the limit is ${MAX_INCLUDE_DEPTH})`);
    const script = this.env.loadInclude?.(location, name) ?? null;
    if (!script) {
      if (t[':optional'] === true) return null;
      this.fail(`included script "${clip(name)}" (${location}) does not exist`);
    }
    if (script!.version !== 1) this.fail(`included script "${clip(name)}" was compiled by another version: recompile it`);
    this.included.add(key);
    this.includeStack.push(key);
    const s = this.execScript(script!);
    this.includeStack.pop();
    this.at = c;
    return s === 'stop' ? 'stop' : null;
  }

  private foreverypart(c: CompiledCommand, f: Frame): Signal {
    const label = c.tags[':name'] !== undefined ? this.str(c.tags[':name'], f) : '';
    const outer = f.part;
    const parts: SieveMessagePart[] = [];
    const walk = (p: SieveMessagePart, depth: number) => {
      if (depth > MAX_MIME_DEPTH) return;
      for (const ch of p.children) {
        this.tick(1);
        parts.push(ch);
        walk(ch, depth + 1);
      }
    };
    walk(outer, 0);
    // A message that is not multipart is its own single part (at the top level only).
    if (parts.length === 0 && outer === this.env.message) parts.push(outer);
    try {
      for (const p of parts) {
        f.part = p;
        const s = this.block(c.block ?? [], f);
        if (s === null) continue;
        if (typeof s === 'object') {
          if (s.break === '' || s.break === label) return null;
          return s;
        }
        return s;
      }
      return null;
    } finally {
      f.part = outer;
    }
  }

  // ---- tests ------------------------------------------------------------

  private matches(values: readonly string[], keys: readonly string[], spec: MatchSpec, f: Frame, setVars = true): boolean {
    try {
      const r = matchAny(values, keys, spec, this);
      if (r.ok && r.captures && setVars && f.variables) f.match = r.captures.slice(0, MAX_MATCH_VARIABLES);
      return r.ok;
    } catch (e) {
      if (e instanceof RegexError) this.fail(e.message);
      throw e;
    }
  }

  private mimeParts(t: CompiledTest, f: Frame): SieveMessagePart[] {
    if (t.tags[':mime'] !== true) return [this.env.message];
    const out = [f.part];
    if (t.tags[':anychild'] === true) {
      const walk = (p: SieveMessagePart, depth: number) => {
        if (depth > MAX_MIME_DEPTH) return;
        for (const ch of p.children) {
          this.tick(1);
          out.push(ch);
          walk(ch, depth + 1);
        }
      };
      walk(f.part, 0);
    }
    return out;
  }

  /** Header values of each named field in each part, narrowed by :index/:last. */
  private headerFieldValues(t: CompiledTest, names: readonly string[], parts: readonly SieveMessagePart[]): string[] {
    const out: string[] = [];
    const idx = t.tags[':index'];
    for (const p of parts) {
      for (const n of names) {
        let v = this.partHeader(p, n);
        if (typeof idx === 'number') {
          const pos = t.tags[':last'] === true ? v.length - idx : idx - 1;
          v = pos >= 0 && pos < v.length ? [v[pos]!] : [];
        }
        out.push(...v);
      }
    }
    return out;
  }

  private test(t: CompiledTest, f: Frame): boolean {
    this.at = t;
    this.tick(1);
    const spec = t.match ?? { type: 'is', comparator: 'i;ascii-casemap' };
    switch (t.name) {
      case 'true':
        return true;
      case 'false':
        return false;
      case 'not':
        return !this.test(t.tests![0]!, f);
      case 'allof':
        return t.tests!.every((x) => this.test(x, f));
      case 'anyof':
        return t.tests!.some((x) => this.test(x, f));
      case 'size': {
        const size = this.env.message.size;
        if (typeof t.tags[':over'] === 'number') return size > t.tags[':over'];
        return size < (t.tags[':under'] as number);
      }
      case 'exists': {
        const parts = this.mimeParts(t, f);
        return this.list(t.args[0], f).every((n) => parts.some((p) => this.partHeader(p, n).length > 0));
      }
      case 'header':
        return this.headerTest(t, f, spec);
      case 'address': {
        const values = this.headerFieldValues(t, this.list(t.args[0], f), this.mimeParts(t, f));
        const parts: string[] = [];
        for (const v of values) {
          for (const a of extractAddresses(v)) {
            const p = addressPart(a, t.addressPart ?? 'all');
            if (p !== null) parts.push(p);
          }
        }
        return this.matches(parts, this.list(t.args[1], f), spec, f);
      }
      case 'envelope': {
        const parts: string[] = [];
        for (const name of this.list(t.args[0], f)) {
          const n = name.toLowerCase();
          const raw = n === 'from' ? this.env.envelope.from : n === 'to' ? this.env.envelope.to : n === 'auth' ? this.env.envelope.auth : undefined;
          if (raw === undefined) continue;
          const p = addressPart(raw.replace(/^<(.*)>$/, '$1'), t.addressPart ?? 'all');
          if (p !== null) parts.push(p);
        }
        return this.matches(parts, this.list(t.args[1], f), spec, f);
      }
      case 'body':
        return this.matches(this.bodyTexts(t, f), this.list(t.args[0], f), spec, f);
      case 'string': {
        const src = this.list(t.args[0], f);
        // RFC 5229 5: :count counts the non-empty strings only.
        const values = spec.type === 'count' ? src.filter((s) => s !== '') : src;
        return this.matches(values, this.list(t.args[1], f), spec, f);
      }
      case 'date':
      case 'currentdate':
        return this.dateTest(t, f, spec);
      case 'mailboxexists': {
        const check = this.env.mailboxExists;
        return this.list(t.args[0], f).every((m) => (check ? check.call(this.env, m) : false));
      }
      case 'specialuse_exists': {
        const named = t.args.length === 2;
        const flags = this.list(t.args[named ? 1 : 0], f);
        const check = this.env.specialUseExists;
        return check ? check.call(this.env, named ? this.str(t.args[0], f) : null, flags) : false;
      }
      case 'environment': {
        const name = this.str(t.args[0], f).toLowerCase();
        const env = this.env.environment;
        if (!env || !Object.hasOwn(env, name)) return false;
        return this.matches([env[name]!], this.list(t.args[1], f), spec, f);
      }
      case 'duplicate':
        return this.duplicateTest(t, f);
      case 'spamtest': {
        const s = this.env.spam;
        const v = t.tags[':percent'] === true ? (s ? String(Math.round(s.percent)) : '0') : s ? String(Math.round(s.value)) : '0';
        return this.matches([v], [this.str(t.args[0], f)], spec, f);
      }
      case 'virustest':
        return this.matches([String(this.env.virus ?? 0)], [this.str(t.args[0], f)], spec, f);
      case 'valid_notify_method':
        return this.list(t.args[0], f).every((u) => MAILTO.test(u));
      case 'notify_method_capability': {
        const uri = this.str(t.args[0], f);
        if (!MAILTO.test(uri)) return false;
        const cap = this.str(t.args[1], f).toLowerCase();
        // RFC 5436 for mailto: whether the recipient is online is never known.
        const values = cap === 'online' ? ['maybe'] : [];
        return this.matches(values, this.list(t.args[2], f), spec, f);
      }
      case 'ihave':
        return this.list(t.args[0], f).every((x) => this.exts.has(x.toLowerCase()));
      case 'hasflag': {
        const named = t.args.length === 2;
        const flags = named ? Run.flagList(this.list(t.args[0], f).map((n) => this.getVar(n, f))) : this.flags;
        const keys = Run.flagList(this.list(t.args[named ? 1 : 0], f));
        return this.matches(flags, keys, spec, f);
      }
      default:
        this.fail(`unknown test '${t.name}'`);
    }
  }

  private headerTest(t: CompiledTest, f: Frame, spec: MatchSpec): boolean {
    const names = this.list(t.args[0], f);
    const parts = this.mimeParts(t, f);
    const tags = t.tags;
    let values: string[];
    if (tags[':type'] || tags[':subtype'] || tags[':contenttype'] || tags[':param']) {
      values = [];
      for (const p of parts) {
        for (const n of names) {
          if (n.toLowerCase() !== 'content-type') {
            // :param also reads other structured fields (Content-Disposition); the type tags only Content-Type.
            if (tags[':param']) {
              const names = this.list(tags[':param'], f).map((x) => x.toLowerCase());
              for (const hv of this.partHeader(p, n)) {
                const ps = headerParams(hv);
                for (const k of names) if (ps.has(k)) values.push(ps.get(k)!);
              }
            }
            continue;
          }
          const [type = '', subtype = ''] = p.contentType.split('/');
          if (tags[':type']) values.push(type);
          else if (tags[':subtype']) values.push(subtype);
          else if (tags[':contenttype']) values.push(p.contentType);
          else {
            for (const pn of this.list(tags[':param'], f)) {
              const k = pn.toLowerCase();
              if (Object.hasOwn(p.contentTypeParams, k)) values.push(p.contentTypeParams[k]!);
            }
          }
        }
      }
    } else values = this.headerFieldValues(t, names, parts);
    return this.matches(values, this.list(t.args[1], f), spec, f);
  }

  private bodyTexts(t: CompiledTest, f: Frame): string[] {
    if (t.tags[':raw'] === true) return [this.env.message.rawBody.slice(0, MAX_BODY_TEXT)];
    const types = t.tags[':content'] !== undefined ? this.list(t.tags[':content'], f).map((x) => x.toLowerCase()) : null;
    const out: string[] = [];
    const want = (ct: string) => {
      if (types === null) return ct.startsWith('text/');
      return types.some((x) => x === '' || x === ct || (!x.includes('/') && ct.startsWith(x + '/')));
    };
    const walk = (p: SieveMessagePart, depth: number) => {
      if (depth > MAX_MIME_DEPTH) return;
      this.tick(1);
      if (p.children.length === 0) {
        if (want(p.contentType)) {
          const text = p.text ?? (types !== null ? (p.content ?? p.rawBody ?? '') : null);
          if (text !== null) out.push(text.length > MAX_BODY_TEXT ? text.slice(0, MAX_BODY_TEXT) : text);
        }
        return;
      }
      for (const ch of p.children) walk(ch, depth + 1);
    };
    walk(this.env.message, 0);
    return out;
  }

  private dateTest(t: CompiledTest, f: Frame, spec: MatchSpec): boolean {
    const current = t.name === 'currentdate';
    const part = this.str(t.args[current ? 0 : 1], f).toLowerCase();
    const keys = this.list(t.args[current ? 1 : 2], f);
    const zoneTag = t.tags[':zone'];
    let zone: number | null = null;
    if (zoneTag !== undefined) {
      zone = parseZone(this.str(zoneTag, f));
      if (zone === null) return false;
    }
    const local = parseZone(this.env.localZone ?? '+0000') ?? 0;
    const values: string[] = [];
    if (current) {
      const v = dateParts(this.env.now.getTime(), zone ?? local, part);
      if (v === null) return false;
      values.push(v);
    } else {
      const name = this.str(t.args[0], f);
      for (let raw of this.headerFieldValues(t, [name], [this.env.message])) {
        if (name.toLowerCase() === 'received') raw = raw.slice(raw.lastIndexOf(';') + 1);
        const d = parseMessageDate(raw);
        if (!d) continue;
        const z = t.tags[':originalzone'] === true ? d.zone : (zone ?? local);
        const v = dateParts(d.utc, z, part);
        if (v === null) return false;
        values.push(v);
      }
    }
    return this.matches(values, keys, spec, f);
  }

  private duplicateTest(t: CompiledTest, f: Frame): boolean {
    const tags = t.tags;
    let id: string | undefined;
    if (tags[':uniqueid'] !== undefined) id = this.str(tags[':uniqueid'], f);
    else {
      const h = tags[':header'] !== undefined ? this.str(tags[':header'], f) : 'message-id';
      id = this.headerValues(h)[0]?.trim();
    }
    if (id === undefined || id === '') return false;
    const handle = tags[':handle'] !== undefined ? this.str(tags[':handle'], f) : '';
    const seconds = Math.min(typeof tags[':seconds'] === 'number' ? tags[':seconds'] : DEFAULT_DUPLICATE_SECONDS, MAX_DUPLICATE_SECONDS);
    // Nothing is recorded until delivery succeeded, so a second test in the same run answers like the first.
    const seen = this.env.isDuplicate ? this.env.isDuplicate(handle, id) : false;
    if (!this.duplicates.some((d) => d.handle === handle && d.id === id)) this.duplicates.push({ handle, id, seconds, last: tags[':last'] === true });
    return seen;
  }
}

/** Parameters of a structured header value ("attachment; filename=\"a.zip\""), lower-case names. */
function headerParams(v: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /;\s*([^\s=;]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^;]*)/g;
  let m: RegExpExecArray | null;
  let n = 0;
  while ((m = re.exec(v)) && n++ < 64) {
    const k = m[1]!.toLowerCase().replace(/\*$/, '');
    const val = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[2]!.trim();
    if (!out.has(k)) out.set(k, val);
  }
  return out;
}

/** The first n characters (code points) without splitting the whole text into an array. */
function firstChars(text: string, n: number): string {
  let i = 0;
  for (let k = 0; k < n && i < text.length; k++) {
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
  }
  return text.slice(0, i);
}

function clip(s: string): string {
  const safe = s.replace(/[^\x20-\x7e]/g, '?');
  return safe.length > 60 ? safe.slice(0, 60) + '...' : safe;
}
