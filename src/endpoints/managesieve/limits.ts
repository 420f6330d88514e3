/*
 * Limits of the ManageSieve session layer, each with its reason. Limits on
 * the bytes a peer sends (line and literal lengths, numbers) are in
 * src/proto/managesieve/limits.ts; script size, count and storage are
 * configuration ([managesieve]).
 *
 * Exports: the constants below.
 * Security: every number bounds time, memory or slots an untrusted client
 * can hold.
 * Standards: RFC 5804 sets none; these follow the POP3 and IMAP endpoints
 * and Dovecot's managesieve defaults.
 */

/** Idle time before login: enough for a human typing in a terminal, short enough that idle sockets cost little. */
export const PRE_LOGIN_IDLE_MS = 60_000;
/** Idle time after login: clients upload and leave; a webmail's editor may wait between commands, 10 minutes is plenty. */
export const POST_LOGIN_IDLE_MS = 10 * 60_000;
/** Commands answered NO as invalid (unknown, syntax, wrong state, too long) before the connection is closed; real clients send almost none. */
export const MAX_BAD_COMMANDS = 10;
/** Commands before login: CAPABILITY, STARTTLS and an AUTHENTICATE or two need far fewer; stops a peer chatting forever pre-auth. */
export const MAX_PRE_LOGIN_COMMANDS = 30;
/** Failed logins per connection before it is closed; a password guesser must reconnect (and meets the shared counter). */
export const MAX_AUTH_FAILURES = 3;
/** Connections per client IP (IPv6 /64): a client opens one at a time, a NAT a few more. */
export const MAX_CONNECTIONS_PER_IP = 20;
/** Sessions of one user from one address (the security spec's per-user-and-IP limit). */
export const MAX_CONNECTIONS_PER_USER_IP = 10;
/** Unsent output before we stop reading commands: a client pipelining GETSCRIPTs without reading cannot grow our buffers. */
export const MAX_PENDING_OUTPUT_BYTES = 1024 * 1024;
/** How long a STARTTLS handshake may take. */
export const TLS_HANDSHAKE_MS = 30_000;
/** How long a closing socket may stay open for a peer that never reads its last response. */
export const CLOSE_GRACE_MS = 2_000;
