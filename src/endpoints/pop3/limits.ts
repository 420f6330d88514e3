/*
 * Limits of the POP3 session layer, each with its reason. Limits on the
 * bytes a peer sends (line length, numbers) are in src/proto/pop3/limits.ts.
 *
 * Exports: the constants below.
 * Security: every number bounds time, memory or slots an untrusted client
 * can hold.
 * Standards: RFC 1939 section 3 (the autologout timer after login must be
 * at least 10 minutes; a timeout never enters the UPDATE state).
 */

/** Idle time before login: enough for a human typing in a terminal, short enough that idle sockets cost little. */
export const PRE_LOGIN_IDLE_MS = 60_000;
/** Idle time after login: RFC 1939 section 3 asks for at least 10 minutes. */
export const POST_LOGIN_IDLE_MS = 10 * 60_000;
/** Commands answered -ERR as invalid (unknown, syntax, wrong state, too long) before the connection is closed; real clients send almost none. */
export const MAX_BAD_COMMANDS = 10;
/** Commands before login: CAPA, STLS and a few USER/PASS or AUTH need far fewer; stops a peer from idling forever pre-auth by chatting. */
export const MAX_PRE_LOGIN_COMMANDS = 30;
/** Failed logins per connection before it is closed; a password guesser must reconnect. */
export const MAX_AUTH_FAILURES = 3;
/** Connections per client IP (IPv6 /64) on one listener; a POP3 client uses one per account. */
export const MAX_CONNECTIONS_PER_IP = 20;
/** Unsent output before we stop reading commands or sending more of a message: a client that pipelines RETRs without reading cannot grow our buffers. */
export const MAX_PENDING_OUTPUT_BYTES = 1024 * 1024;
/** Size of the pieces a message is written in (RETR, TOP); the next piece waits for the socket to drain below MAX_PENDING_OUTPUT_BYTES. */
export const MESSAGE_CHUNK_BYTES = 64 * 1024;
/** How long a TLS handshake (implicit or STLS) may take. */
export const TLS_HANDSHAKE_MS = 30_000;
/** How long a closing socket may stay open for a peer that never reads its last response. */
export const CLOSE_GRACE_MS = 2_000;
