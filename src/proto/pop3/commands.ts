/*
 * The POP3 commands this codec parses, as a discriminated union, and the
 * states each is allowed in.
 *
 * Exports: Pop3Command, Pop3CommandName, Pop3State, COMMAND_STATES,
 * allowedIn.
 * Security: none (types and a constant table).
 * Standards: RFC 1939 sections 3-7 (states and commands), RFC 2449 (CAPA,
 * allowed in both states), RFC 2595 (STLS), RFC 5034 (AUTH).
 * Not parsed: APOP (needs a plaintext-equivalent password store) and
 * LAST (removed in RFC 1725); they answer like unknown commands.
 */

export type Pop3State = 'authorization' | 'transaction';

export type Pop3Command =
  | { name: 'USER'; user: string }
  | { name: 'PASS'; password: string }
  | { name: 'AUTH'; mechanism: string | null; initialResponse: string | null }
  | { name: 'CAPA' }
  | { name: 'STLS' }
  | { name: 'STAT' }
  | { name: 'RSET' }
  | { name: 'NOOP' }
  | { name: 'QUIT' }
  | { name: 'LIST'; msg: number | null }
  | { name: 'UIDL'; msg: number | null }
  | { name: 'RETR'; msg: number }
  | { name: 'DELE'; msg: number }
  | { name: 'TOP'; msg: number; lines: number };

export type Pop3CommandName = Pop3Command['name'];

export const COMMAND_STATES: Readonly<Record<Pop3CommandName, readonly Pop3State[]>> = {
  USER: ['authorization'],
  PASS: ['authorization'],
  AUTH: ['authorization'],
  STLS: ['authorization'],
  CAPA: ['authorization', 'transaction'],
  QUIT: ['authorization', 'transaction'],
  NOOP: ['transaction'],
  STAT: ['transaction'],
  LIST: ['transaction'],
  UIDL: ['transaction'],
  RETR: ['transaction'],
  DELE: ['transaction'],
  TOP: ['transaction'],
  RSET: ['transaction'],
};

export function allowedIn(name: Pop3CommandName, state: Pop3State): boolean {
  return COMMAND_STATES[name].includes(state);
}
