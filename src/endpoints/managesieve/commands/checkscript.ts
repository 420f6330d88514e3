/*
 * CHECKSCRIPT content: compiled as PUTSCRIPT would, nothing stored.
 *
 * Exports: checkscript.
 * Security: as PUTSCRIPT.
 * Standards: RFC 5804 section 2.12.
 */
import type { Handler } from '../context.js';
import { answerCompileError, warningsText } from './putscript.js';
import { refuseSpace } from './quota.js';

export const checkscript: Handler<'CHECKSCRIPT'> = (s, cmd) => {
  const outcome = s.scripts.check(cmd.content);
  if (!outcome.ok) {
    if (outcome.reason === 'invalid') return answerCompileError(s, outcome.error);
    return refuseSpace(s, outcome.reason);
  }
  if (outcome.warnings.length > 0) s.ok(warningsText(outcome.warnings), 'WARNINGS');
  else s.ok('Script is valid');
};
