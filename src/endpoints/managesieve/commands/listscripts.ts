/*
 * LISTSCRIPTS: one line per script, the active one marked ACTIVE, then OK.
 *
 * Exports: listscripts.
 * Security: the logged-in account's scripts only.
 * Standards: RFC 5804 section 2.7.
 */
import { encodeScriptLine } from '../../../proto/managesieve/index.js';
import type { Handler } from '../context.js';

export const listscripts: Handler<'LISTSCRIPTS'> = async (s) => {
  const scripts = await s.scripts.list(s.account.id);
  for (const script of scripts) s.send(encodeScriptLine(script.name, script.active));
  s.ok('Listscripts completed');
};
