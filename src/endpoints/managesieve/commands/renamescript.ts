/*
 * RENAMESCRIPT old new: renames a script (an active one stays active).
 *
 * Exports: renamescript.
 * Security: the logged-in account's scripts only.
 * Standards: RFC 5804 section 2.11.1 (NONEXISTENT, ALREADYEXISTS).
 */
import type { Handler } from '../context.js';
import { existingName, newName } from './names.js';

export const renamescript: Handler<'RENAMESCRIPT'> = async (s, cmd) => {
  const from = existingName(s, cmd.from);
  if (from === undefined) return;
  const to = newName(s, cmd.to);
  if (to === undefined) return;
  const outcome = await s.scripts.rename(s.account.id, from, to);
  if (outcome === 'nonexistent') return s.no('There is no script by that name', 'NONEXISTENT');
  if (outcome === 'exists') return s.no('A script with that name already exists', 'ALREADYEXISTS');
  s.log.info('renamescript', { from, to });
  s.ok('Renamescript completed');
};
