/*
 * The NO answers for a script that does not fit, shared by HAVESPACE and
 * PUTSCRIPT so both say the same.
 *
 * Exports: refuseSpace.
 * Security: none.
 * Standards: RFC 5804 section 1.3 (QUOTA, QUOTA/MAXSCRIPTS, QUOTA/MAXSIZE).
 */
import type { SessionApi } from '../context.js';

export function refuseSpace(s: SessionApi, reason: 'too-large' | 'max-scripts' | 'quota'): void {
  if (reason === 'too-large') s.no(`Script is larger than ${s.scripts.maxScriptSize} octets`, 'QUOTA/MAXSIZE');
  else if (reason === 'max-scripts') s.no('Too many scripts: delete one first', 'QUOTA/MAXSCRIPTS');
  else s.no('Script storage quota exceeded', 'QUOTA');
}
