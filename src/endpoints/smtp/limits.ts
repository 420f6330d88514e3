/*
 * Limits on what an SMTP or LMTP peer may send, each with its reason. The
 * per-deployment ones (message size, recipients, errors, connections) are
 * configuration keys under [smtp]; these are fixed.
 */

/** Longest command line: RFC 5321 says 512; Postfix allows 2048 for long AUTH and parameters. */
export const MAX_COMMAND_LINE = 2048;

/** Commands before AUTH on submission: enough for EHLO, STARTTLS, EHLO, AUTH and retries. */
export const MAX_UNAUTHENTICATED_COMMANDS = 10;

/** How long a TLS handshake or the PROXY header may take. */
export const HANDSHAKE_TIMEOUT_MS = 30_000;
