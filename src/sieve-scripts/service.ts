/*
 * A user's Sieve scripts over the store port: the rules ManageSieve and
 * `petrel sieve` share. A script is compiled here, once, when it is
 * stored (PUTSCRIPT, `petrel sieve put`); what is stored is the source
 * and the compiled JSON, so delivery never parses. Size, count and total
 * storage limits come from [managesieve]; the count and the total are
 * checked again inside the store's transaction.
 *
 * Exports: SieveScripts, SieveScriptSettings, CheckOutcome, PutOutcome,
 * SpaceOutcome, and formatDiagnostic (sieve/'s, re-exported).
 * Security: the content is untrusted: refused before compiling when it is
 * over the size limit or not UTF-8; the compiler never throws and bounds
 * its own work. Diagnostics carry no server detail, only the position and
 * the compiler's message about the user's own text.
 * Standards: RFC 5804 sections 2.3 (HAVESPACE), 2.6 (PUTSCRIPT), 2.12
 * (CHECKSCRIPT), RFC 5228 section 2.1 (scripts are UTF-8).
 */
import { compileSieve, type SieveDiagnostic } from '../sieve/index.js';

export { formatDiagnostic } from '../sieve/index.js';
import type { SieveGlobalPhase, SieveScriptRecord, SieveScriptStore, SieveScriptSummary } from '../store/types.js';

export interface SieveScriptSettings {
  /** Octets of one script; larger ones are QUOTA/MAXSIZE. */
  maxScriptSize: number;
  /** Scripts per user; 0 is no limit. */
  maxScripts: number;
  /** Octets of all of a user's scripts; 0 is no limit. */
  maxStorageBytes: number;
}

export type CheckOutcome =
  | { ok: true; source: string; compiled: string; warnings: SieveDiagnostic[] }
  | { ok: false; reason: 'too-large' }
  | { ok: false; reason: 'invalid'; error: SieveDiagnostic };

export type PutOutcome =
  | { ok: true; created: boolean; warnings: SieveDiagnostic[] }
  | { ok: false; reason: 'too-large' | 'max-scripts' | 'quota' }
  | { ok: false; reason: 'invalid'; error: SieveDiagnostic };

export type SpaceOutcome = 'ok' | 'too-large' | 'max-scripts' | 'quota';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The offset of the first octet that does not begin a valid UTF-8 sequence (RFC 3629), or -1. */
function firstInvalidUtf8(b: Buffer): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0 || i + n >= b.length + (n > 0 ? 0 : 1)) return i;
    const second = b[i + 1] ?? 0;
    if (n > 0 && (second < (c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80) || second > (c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf))) return i;
    for (let k = 2; k <= n; k++) if ((b[i + k]! & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return -1;
}

/** Where invalid UTF-8 starts, as a diagnostic (the compiler only sees valid text). */
function invalidUtf8At(content: Buffer): SieveDiagnostic {
  const at = Math.max(0, firstInvalidUtf8(content));
  const lineStart = content.lastIndexOf(0x0a, at - 1) + 1;
  let line = 1;
  for (let i = content.indexOf(0x0a); i !== -1 && i < at; i = content.indexOf(0x0a, i + 1)) line++;
  // Columns count UTF-16 code units, as the compiler's do.
  const column = content.subarray(lineStart, at).toString('utf8').length + 1;
  return { line, column, message: 'invalid UTF-8' };
}

export class SieveScripts {
  constructor(
    private readonly store: SieveScriptStore,
    private readonly settings: SieveScriptSettings,
    private readonly now: () => number = Date.now,
  ) {}

  get maxScriptSize(): number {
    return this.settings.maxScriptSize;
  }

  /** CHECKSCRIPT, and the first half of PUTSCRIPT: size, UTF-8, compile. */
  check(content: Buffer): CheckOutcome {
    if (content.length > this.settings.maxScriptSize) return { ok: false, reason: 'too-large' };
    let source: string;
    try {
      source = utf8.decode(content);
    } catch {
      return { ok: false, reason: 'invalid', error: invalidUtf8At(content) };
    }
    const result = compileSieve(source, { maxSize: this.settings.maxScriptSize });
    if (!result.ok) return { ok: false, reason: 'invalid', error: result.error };
    return { ok: true, source, compiled: JSON.stringify(result.script), warnings: result.warnings };
  }

  /** PUTSCRIPT: compiled first, so a script with an error never replaces a working one. name is already checked (names.ts). */
  async put(accountId: number, name: string, content: Buffer): Promise<PutOutcome> {
    const checked = this.check(content);
    if (!checked.ok) return checked;
    const stored = await this.store.put(accountId, { name, source: checked.source, compiled: checked.compiled, size: content.length }, this.limits(), this.now());
    if (!stored.ok) return stored;
    return { ok: true, created: stored.created, warnings: checked.warnings };
  }

  /** HAVESPACE: whether a script of this size under this name would be accepted now. */
  async haveSpace(accountId: number, name: string, size: number): Promise<SpaceOutcome> {
    if (size > this.settings.maxScriptSize) return 'too-large';
    const { maxScripts, maxStorageBytes } = this.settings;
    if (maxScripts === 0 && maxStorageBytes === 0) return 'ok';
    const existing = await this.store.get(accountId, name);
    const usage = await this.store.usage(accountId);
    if (!existing && maxScripts > 0 && usage.count >= maxScripts) return 'max-scripts';
    if (maxStorageBytes > 0 && usage.bytes - (existing?.size ?? 0) + size > maxStorageBytes) return 'quota';
    return 'ok';
  }

  list(accountId: number): Promise<SieveScriptSummary[]> {
    return this.store.list(accountId);
  }

  get(accountId: number, name: string): Promise<SieveScriptRecord | undefined> {
    return this.store.get(accountId, name);
  }

  /** null deactivates (SETACTIVE ""). */
  setActive(accountId: number, name: string | null): Promise<boolean> {
    return this.store.setActive(accountId, name, this.now());
  }

  delete(accountId: number, name: string): Promise<'deleted' | 'nonexistent' | 'active'> {
    return this.store.delete(accountId, name);
  }

  rename(accountId: number, from: string, to: string): Promise<'renamed' | 'nonexistent' | 'exists'> {
    return this.store.rename(accountId, from, to, this.now());
  }

  /** An administrator's script: compiled like a user's, without the per-user limits (the size limit still applies). */
  async putGlobal(phase: SieveGlobalPhase, name: string, content: Buffer): Promise<PutOutcome> {
    const checked = this.check(content);
    if (!checked.ok) return checked;
    const { created } = await this.store.putGlobal(phase, { name, source: checked.source, compiled: checked.compiled, size: content.length }, this.now());
    return { ok: true, created, warnings: checked.warnings };
  }

  private limits() {
    return { maxScripts: this.settings.maxScripts, maxStorageBytes: this.settings.maxStorageBytes };
  }
}
