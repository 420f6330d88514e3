/*
 * Reading a script name argument: the checks of sieve-scripts/names.ts,
 * answered here the way each command wants (a name that cannot exist is
 * NONEXISTENT for commands that look one up; a NO with the reason for
 * those that create one).
 *
 * Exports: existingName, newName.
 * Security: the refused name is never echoed; only the reason is.
 * Standards: RFC 5804 section 1.6.
 */
import { checkScriptName } from '../../../sieve-scripts/index.js';
import type { SessionApi } from '../context.js';

/** The name of a script the command looks up, or undefined after NO (NONEXISTENT). */
export function existingName(s: SessionApi, raw: Buffer): string | undefined {
  const checked = checkScriptName(raw);
  if (checked.ok) return checked.name;
  s.no('There is no script by that name', 'NONEXISTENT');
  return undefined;
}

/** The name of a script the command creates, or undefined after NO with the reason. */
export function newName(s: SessionApi, raw: Buffer): string | undefined {
  const checked = checkScriptName(raw);
  if (checked.ok) return checked.name;
  s.no(`Invalid script name: ${checked.reason}`);
  return undefined;
}
