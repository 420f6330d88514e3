/*
 * The compiled form of a Sieve script: a validated, resolved syntax tree as
 * plain JSON data (no classes, functions or Maps), so ManageSieve can store it
 * as JSON text when a script is uploaded and delivery can read it back and run
 * it without parsing again.
 *
 * Exports: CompiledScript, CompiledCommand, CompiledTest, CompiledArg,
 * CompiledBranch, MatchSpec, COMPILED_VERSION.
 * Security: a stored CompiledScript is trusted only as far as the store is;
 * the interpreter still bounds its work (steps, redirects) whatever it reads.
 * Standards: RFC 5228 (structure), the extension RFCs named in extensions.ts.
 */

/** Bumped whenever the shape below changes incompatibly; stored scripts of another version are recompiled from source. */
export const COMPILED_VERSION = 1;

/**
 * An argument after validation: `true` for a tag without a value (`:copy`),
 * a number (K/M/G already applied), a string, or a string list. Strings are
 * kept as written (encoded-character already decoded); when the script
 * requires "variables" the interpreter expands `${...}` at run time.
 */
export type CompiledArg = true | number | string | string[];

/** Comparator, match type and relation of a test, resolved with their defaults. */
export interface MatchSpec {
  /** "is" | "contains" | "matches" | "regex" | "count" | "value". */
  type: string;
  /** For :count and :value (RFC 5231): "gt" | "ge" | "lt" | "le" | "eq" | "ne". */
  relation?: string;
  /** "i;ascii-casemap" (the default), "i;octet" or "i;ascii-numeric". */
  comparator: string;
}

export interface CompiledTest {
  /** Test name in lower case: "address", "header", "allof", "true", ... */
  name: string;
  line: number;
  column: number;
  /** Tagged arguments other than comparator, match type and address part, keyed by tag with the colon (":zone"). */
  tags: { [tag: string]: CompiledArg };
  /** Positional arguments in order. */
  args: CompiledArg[];
  /** allof, anyof, not. */
  tests?: CompiledTest[];
  match?: MatchSpec;
  /** "all" | "localpart" | "domain" | "user" | "detail", for address, envelope and the address forms of others. */
  addressPart?: string;
}

export interface CompiledBranch {
  test: CompiledTest;
  block: CompiledCommand[];
  /** Extensions an ihave test made available inside this block only (RFC 5463), e.g. "variables". */
  exts?: string[];
}

export interface CompiledCommand {
  /** Command name in lower case: "keep", "fileinto", "if", "foreverypart", ... */
  name: string;
  line: number;
  column: number;
  tags: { [tag: string]: CompiledArg };
  args: CompiledArg[];
  /** "if": the if and elsif branches in order. */
  branches?: CompiledBranch[];
  /** "if": the else block, when there is one. */
  elseBlock?: CompiledCommand[];
  /** Commands with a block other than if: "foreverypart". */
  block?: CompiledCommand[];
  /** Commands that match like tests: "deleteheader". */
  match?: MatchSpec;
}

export interface CompiledScript {
  version: 1;
  /** Extensions named by `require` at the top (lower case capability strings). */
  requires: string[];
  /** The commands after the requires, in order. */
  commands: CompiledCommand[];
  /** Size in octets of the source, for quota accounting. */
  sourceSize: number;
}
