/*
 * The ManageSieve commands this codec parses, as a discriminated union,
 * and the states each is allowed in.
 *
 * Exports: ManageSieveCommand, ManageSieveCommandName, ManageSieveState,
 * COMMAND_STATES, allowedIn.
 * Security: none (types and a constant table).
 * Standards: RFC 5804 section 2 (commands; STARTTLS and AUTHENTICATE only
 * before login, the script commands only after), section 2.14.1
 * (UNAUTHENTICATE). Script names and contents are kept as the client's
 * octets here; the session checks names (UTF-8, no controls) and the
 * compiler checks scripts.
 */
export type ManageSieveState = 'non-authenticated' | 'authenticated';

export type ManageSieveCommand =
  | { name: 'AUTHENTICATE'; mechanism: string; initialResponse: Buffer | null }
  | { name: 'STARTTLS' }
  | { name: 'LOGOUT' }
  | { name: 'CAPABILITY' }
  | { name: 'NOOP'; tag: Buffer | null }
  | { name: 'UNAUTHENTICATE' }
  | { name: 'LISTSCRIPTS' }
  | { name: 'HAVESPACE'; script: Buffer; size: number }
  | { name: 'PUTSCRIPT'; script: Buffer; content: Buffer }
  | { name: 'CHECKSCRIPT'; content: Buffer }
  | { name: 'GETSCRIPT'; script: Buffer }
  | { name: 'SETACTIVE'; script: Buffer }
  | { name: 'DELETESCRIPT'; script: Buffer }
  | { name: 'RENAMESCRIPT'; from: Buffer; to: Buffer };

export type ManageSieveCommandName = ManageSieveCommand['name'];

const ANY: readonly ManageSieveState[] = ['non-authenticated', 'authenticated'];
const BEFORE: readonly ManageSieveState[] = ['non-authenticated'];
const AFTER: readonly ManageSieveState[] = ['authenticated'];

export const COMMAND_STATES: Readonly<Record<ManageSieveCommandName, readonly ManageSieveState[]>> = {
  AUTHENTICATE: BEFORE,
  STARTTLS: BEFORE,
  LOGOUT: ANY,
  CAPABILITY: ANY,
  NOOP: ANY,
  UNAUTHENTICATE: AFTER,
  LISTSCRIPTS: AFTER,
  HAVESPACE: AFTER,
  PUTSCRIPT: AFTER,
  CHECKSCRIPT: AFTER,
  GETSCRIPT: AFTER,
  SETACTIVE: AFTER,
  DELETESCRIPT: AFTER,
  RENAMESCRIPT: AFTER,
};

export function allowedIn(name: ManageSieveCommandName, state: ManageSieveState): boolean {
  return COMMAND_STATES[name].includes(state);
}
