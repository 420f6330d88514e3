/*
 * Public surface of Petrel's Sieve implementation: compile a script once when
 * it is stored (ManageSieve PUTSCRIPT/CHECKSCRIPT, `petrel sieve put`), run
 * the compiled form at delivery.
 *
 * Exports: compileSieve, formatDiagnostic, needsMessageBody, CompileOptions, CompileResult,
 * SieveDiagnostic, SIEVE_EXTENSIONS, CompiledScript (and its parts);
 * runSieve and runSieveSequence (global before/after scripts around the
 * user's) with SieveEnv, SieveMessage, the SieveAction union and
 * SieveRunResult; parseSieveMessage (a SieveMessage from raw bytes) and
 * describeRun/describeAction (one line per action) for dry runs;
 * vacationSuppressed (the RFC 3834 checks); the limits.
 *
 * Delivery: compile once at PUTSCRIPT, store JSON.stringify(script); at
 * delivery JSON.parse it, runSieve(script, env), perform result.actions
 * (apply result.edits[0..action.edits) to each copy), then record
 * result.duplicates. On { ok: false } the actions are the fallback keep.
 * Security: the source is untrusted user input; compileSieve never throws on
 * it, bounds size, nesting and command count (limits.ts) and returns a
 * diagnostic whose text is safe to send back in a ManageSieve NO response.
 * Standards: RFC 5228 and the extensions listed in extensions.ts.
 */
import type { CompiledScript } from './compiled.js';
import { compile } from './validator.js';

export type { CompiledScript, CompiledCommand, CompiledTest, CompiledArg, CompiledBranch, MatchSpec } from './compiled.js';
export { SIEVE_EXTENSIONS } from './extensions.js';

/** A compile error or warning; line and column are 1-based (columns count UTF-16 code units, so characters outside the BMP count twice). */
export interface SieveDiagnostic {
  line: number;
  column: number;
  message: string;
}

export interface CompileOptions {
  /** Largest accepted script in octets (UTF-8); default 64 KiB. */
  maxSize?: number;
  /** The extensions a script may require; default all of SIEVE_EXTENSIONS. */
  extensions?: readonly string[];
}

export type CompileResult =
  | { ok: true; script: CompiledScript; warnings: SieveDiagnostic[] }
  | { ok: false; error: SieveDiagnostic };

/** "line 3, column 12: expected ';' after the command, found '}'", for ManageSieve NO responses and the CLI. */
export function formatDiagnostic(d: SieveDiagnostic): string {
  return `line ${d.line}, column ${d.column}: ${d.message}`;
}

/** Lex, parse and validate a script. Never throws. */
export function compileSieve(source: string, options?: CompileOptions): CompileResult {
  return compile(source, options ?? {});
}

/**
 * Whether running the script can look past the header (body text, MIME
 * parts), so delivery can skip decoding bodies for scripts that only test
 * headers and the envelope. Conservative: include and ihave count as yes.
 */
export function needsMessageBody(script: CompiledScript): boolean {
  return script.requires.some((e) => ['body', 'mime', 'foreverypart', 'extracttext', 'include', 'ihave'].includes(e));
}

export { runSieve, runSieveSequence } from './interpreter.js';
export type {
  SieveEnv,
  SieveEnvelope,
  SieveMessage,
  SieveMessagePart,
  SieveAction,
  KeepAction,
  FileintoAction,
  RedirectAction,
  RejectAction,
  DiscardAction,
  VacationAction,
  NotifyAction,
  HeaderEdit,
  DuplicateRecord,
  SieveRunResult,
  SieveRuntimeError,
} from './env.js';
export { parseSieveMessage } from './message.js';
export { describeAction, describeRun } from './describe.js';
export { vacationSuppressed } from './vacation.js';
export * from './limits.js';
