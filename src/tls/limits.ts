/*
 * Limits of the certificate registry, each with its reason.
 *
 * Exports: the constants below.
 *
 * Security: MAX_SERVER_NAME_LENGTH bounds peer input (the SNI name a client
 * sends); the rest bound operator files and timers.
 * Standards: RFC 1035 section 2.3.4 (name length), RFC 6066 section 3 (SNI).
 */

/** A DNS name is at most 253 characters in text form; a longer SNI name matches nothing. */
export const MAX_SERVER_NAME_LENGTH = 253;

/** A PEM chain or key larger than this is not a certificate file; refusing it bounds memory on a misconfigured path. */
export const MAX_PEM_FILE_BYTES = 1024 * 1024;

/** Certificates in one chain file beyond this are ignored (real chains hold 2 to 4). */
export const MAX_CHAIN_LENGTH = 10;

/** fs.watch fires several events per renewal (two symlinks, archive files); one reload after they settle. */
export const WATCH_DEBOUNCE_MS = 250;

/** Default poll interval for file changes fs.watch missed (network file systems, containers with bind mounts). */
export const DEFAULT_POLL_MS = 5000;

/** A generated self-signed certificate is valid this long... */
export const SELF_SIGNED_VALID_DAYS = 365;

/** ...and replaced when fewer days than this are left. */
export const SELF_SIGNED_RENEW_DAYS = 30;

/** Offered ALPN names quoted in a log line are cut to this length (a peer chooses them). */
export const MAX_LOGGED_ALPN_LENGTH = 200;
