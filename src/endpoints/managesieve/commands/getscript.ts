/*
 * GETSCRIPT name: the script as it was uploaded, as a literal, then OK.
 *
 * Exports: getscript.
 * Security: the logged-in account's scripts only; another user's name is
 * NONEXISTENT like any missing one.
 * Standards: RFC 5804 section 2.9.
 */
import { encodeScriptBody } from '../../../proto/managesieve/index.js';
import type { Handler } from '../context.js';
import { existingName } from './names.js';

export const getscript: Handler<'GETSCRIPT'> = async (s, cmd) => {
  const name = existingName(s, cmd.script);
  if (name === undefined) return;
  const script = await s.scripts.get(s.account.id, name);
  if (!script) return s.no('There is no script by that name', 'NONEXISTENT');
  s.send(encodeScriptBody(Buffer.from(script.source, 'utf8')));
  s.ok('Getscript completed');
};
