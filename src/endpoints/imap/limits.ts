/*
 * Limits of the IMAP session layer, each with its reason. Limits on the
 * bytes a peer sends (line, literal, nesting) are in src/proto/imap/limits.ts.
 *
 * Exports: the constants below.
 * Security: every number bounds time or slots an untrusted client can hold.
 * Standards: RFC 9051 section 5.4 (autologout timer at least 30 minutes
 * after login; pre-login may be shorter).
 */

/** Idle time before login: enough for a human typing in a terminal, short enough that idle sockets cost little. */
export const PRE_LOGIN_IDLE_MS = 60_000;
/** Idle time after login: RFC 9051 5.4 asks for at least 30 minutes (IDLE clients re-issue every 29). */
export const POST_LOGIN_IDLE_MS = 30 * 60_000;
/** Commands answered BAD before the session is closed; real clients send none, scanners send many. */
export const MAX_BAD_COMMANDS = 10;
/** Commands before login: CAPABILITY, STARTTLS, ID and a few LOGIN attempts need far fewer; stops a peer from idling forever pre-auth by chatting. */
export const MAX_PRE_LOGIN_COMMANDS = 30;
/** Failed LOGIN/AUTHENTICATE attempts per connection before BYE; a password guesser must reconnect. */
export const MAX_AUTH_FAILURES = 3;
/** Connections per client IP (IPv6 /64) on one listener; Thunderbird opens about 5 per account. */
export const MAX_CONNECTIONS_PER_IP = 20;
/** Sessions of one account from one client address (IPv6 /64): Dovecot's mail_max_userip_connections; a client needs a handful per account. */
export const MAX_CONNECTIONS_PER_USER_IP = 10;
/** Mailboxes (and name or subscription changes) with NOTIFY news not yet sent; beyond, NOTIFICATIONOVERFLOW. Bounds what a slow NOTIFY client costs. */
export const MAX_NOTIFY_PENDING = 500;
/** Unsent output before we stop reading commands: a client that pipelines without reading cannot grow our buffers. */
export const MAX_PENDING_OUTPUT_BYTES = 1024 * 1024;
/** A FETCH of header fields reads the headers of up to this many next messages at once (one trip to the blob read thread)... */
export const FETCH_HEADER_READ_AHEAD = 32;
/** ...and no more header bytes than this: a message may carry a large header, and a FETCH holds what it read ahead. */
export const FETCH_HEADER_READ_AHEAD_BYTES = 1024 * 1024;
/** How long a TLS handshake (implicit or STARTTLS) may take. */
export const TLS_HANDSHAKE_MS = 30_000;
/** Keywords one message may carry: real clients use a handful ($Forwarded, $Junk, labels); bounds the FLAGS a STORE can grow. */
export const MAX_KEYWORDS_PER_MESSAGE = 64;
/** Bytes in one METADATA value: comments and client settings are small; bounds what GETMETADATA returns ([METADATA MAXSIZE]). */
export const MAX_METADATA_VALUE_BYTES = 64 * 1024;
/** METADATA entries per account, server and mailboxes together: bounds the storage a user can claim ([METADATA TOOMANY]). */
export const MAX_METADATA_ENTRIES_PER_ACCOUNT = 500;
/** Bytes in one keyword: labels are short words; bounds what every FETCH FLAGS and SELECT repeats. */
export const MAX_KEYWORD_BYTES = 100;
/** Distinct text keys (TEXT, BODY, SUBJECT, FROM, HEADER...) in one SEARCH/SORT/THREAD: each is an index query or, for a needle under 3 characters, a scan of the mailbox; real clients send a few. */
export const MAX_SEARCH_TEXT_KEYS = 32;
/** Messages a search evaluates between two turns of the event loop: each is well under a microsecond, so a 100,000-message mailbox yields 20 times. */
export const SEARCH_YIELD_EVERY = 5000;
