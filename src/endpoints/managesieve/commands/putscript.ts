/*
 * PUTSCRIPT name content: compiled, then stored with its compiled form
 * (replacing a script of that name; an active one stays active). A
 * compile error is NO with its line and column, and the stored script is
 * left as it was; warnings come back as OK (WARNINGS).
 *
 * Exports: putscript, answerCompileError, warningsText.
 * Security: the content is untrusted; the size is checked before it was
 * even read (the framer skips an oversized literal) and again here.
 * Standards: RFC 5804 section 2.6.
 */
import { formatDiagnostic } from '../../../sieve-scripts/index.js';
import type { SieveDiagnostic } from '../../../sieve/index.js';
import type { Handler, SessionApi } from '../context.js';
import { newName } from './names.js';
import { refuseSpace } from './quota.js';

export function answerCompileError(s: SessionApi, error: SieveDiagnostic): void {
  s.no(formatDiagnostic(error));
}

export function warningsText(warnings: readonly SieveDiagnostic[]): string {
  return warnings.map(formatDiagnostic).join('; ');
}

export const putscript: Handler<'PUTSCRIPT'> = async (s, cmd) => {
  const name = newName(s, cmd.script);
  if (name === undefined) return;
  const outcome = await s.scripts.put(s.account.id, name, cmd.content);
  if (!outcome.ok) {
    if (outcome.reason === 'invalid') return answerCompileError(s, outcome.error);
    return refuseSpace(s, outcome.reason);
  }
  s.log.info('putscript', { name, size: cmd.content.length, created: outcome.created, warnings: outcome.warnings.length || undefined });
  if (outcome.warnings.length > 0) s.ok(warningsText(outcome.warnings), 'WARNINGS');
  else s.ok('Putscript completed');
};
