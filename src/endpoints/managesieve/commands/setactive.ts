/*
 * SETACTIVE name: makes it the one script run at delivery; SETACTIVE ""
 * deactivates whatever is active.
 *
 * Exports: setactive.
 * Security: the logged-in account's scripts only.
 * Standards: RFC 5804 section 2.8.
 */
import type { Handler } from '../context.js';
import { existingName } from './names.js';

export const setactive: Handler<'SETACTIVE'> = async (s, cmd) => {
  const name = cmd.script.length === 0 ? null : existingName(s, cmd.script);
  if (name === undefined) return;
  if (!(await s.scripts.setActive(s.account.id, name))) return s.no('There is no script by that name', 'NONEXISTENT');
  s.log.info('setactive', { name: name ?? '' });
  s.ok(name === null ? 'No script is active now' : 'Setactive completed');
};
