/*
 * DELETESCRIPT name: removes a script that is not active.
 *
 * Exports: deletescript.
 * Security: the logged-in account's scripts only.
 * Standards: RFC 5804 section 2.10 (the active script is refused with
 * ACTIVE).
 */
import type { Handler } from '../context.js';
import { existingName } from './names.js';

export const deletescript: Handler<'DELETESCRIPT'> = async (s, cmd) => {
  const name = existingName(s, cmd.script);
  if (name === undefined) return;
  const outcome = await s.scripts.delete(s.account.id, name);
  if (outcome === 'nonexistent') return s.no('There is no script by that name', 'NONEXISTENT');
  if (outcome === 'active') return s.no('You may not delete the active script', 'ACTIVE');
  s.log.info('deletescript', { name });
  s.ok('Deletescript completed');
};
