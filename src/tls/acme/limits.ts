/*
 * Limits of the ACME client, each with its reason. Most bound what the CA
 * controls (its answers' sizes and counts, how long it keeps us polling);
 * the rest are the renewal schedule's.
 *
 * Exports: the constants below.
 *
 * Security: the CA is a remote party reached over HTTPS; a broken or
 * hostile one must not make us read unbounded bodies, poll forever, fetch
 * thousands of authorizations or write records for names we did not ask.
 * Standards: RFC 8555 sections 7.1.3 (orders), 7.5 (authorizations), 8.1
 * (tokens), 8.4 (DNS-01 TXT record); Let's Encrypt's published limits.
 */

/** One response body from the CA (directory, account, order, authorization, challenge, certificate chain): real ones are a few KiB, a chain of four certificates about 8 KiB. */
export const MAX_ACME_RESPONSE_BYTES = 256 * 1024;

/** One request to the CA, connection to last byte (axios timeout and an abort signal). */
export const ACME_REQUEST_TIMEOUT_MS = 30_000;

/** Names in one certificate: Let's Encrypt's maximum; Petrel asks for four or five per domain. */
export const MAX_NAMES_PER_CERTIFICATE = 100;

/** Authorizations in one order: one per name (RFC 8555 7.1.3), so never more than the names we asked for, and never more than this. */
export const MAX_AUTHORIZATIONS = MAX_NAMES_PER_CERTIFICATE;

/** Challenges offered in one authorization: CAs offer two or three (http-01, dns-01, tls-alpn-01). */
export const MAX_CHALLENGES_PER_AUTHORIZATION = 10;

/** Longest token accepted from the CA (RFC 8555 8.1: base64url, at least 128 bits; Let's Encrypt's are 43 characters). It becomes a store key and a URL path. */
export const MAX_TOKEN_LENGTH = 256;

/** Time spent polling one order (validations, then finalization), summed over the waits; then the order is given up and tried at the next run. */
export const MAX_ORDER_POLL_MS = 10 * 60_000;

/** First wait between two polls of an order; it doubles... */
export const POLL_MIN_MS = 500;

/** ...up to this. */
export const POLL_MAX_MS = 10_000;

/** An HTTP-01 key authorization stays answerable this long, past the longest order, then the store forgets it. */
export const HTTP01_CHALLENGE_TTL_MS = MAX_ORDER_POLL_MS + 5 * 60_000;

/** TTL of the `_acme-challenge` TXT records: short, they live only for one validation. */
export const DNS01_TXT_TTL_SECONDS = 60;

/** Wait after the TXT updates before asking the CA to validate, so the zone's secondaries have the records (certbot's dns-rfc2136 plugin waits 60 s too). */
export const DEFAULT_DNS_PROPAGATION_MS = 60_000;

/** Renewal starts up to this much earlier than renew_before says, drawn per certificate, so servers and certificates do not all ask the CA at the same hour. */
export const RENEW_JITTER_MAX_MS = 12 * 3_600_000;

/** The scheduler looks for due certificates this often. */
export const RENEW_CHECK_INTERVAL_MS = 3_600_000;

/** The scheduler's first look comes this long after start, once the HTTP listener answers challenges. */
export const RENEW_FIRST_CHECK_MS = 10_000;

/** After a failed issuance the certificate waits this long before the next try (Let's Encrypt allows 5 failed validations per name per hour)... */
export const RETRY_MIN_MS = 3_600_000;

/** ...doubling after each failure, up to this. */
export const RETRY_MAX_MS = 24 * 3_600_000;

/** A lock file older than this belongs to a process that died mid-order (orders are bounded by MAX_ORDER_POLL_MS plus requests). */
export const LOCK_STALE_MS = 2 * MAX_ORDER_POLL_MS;

/** A state file (petrel-acme.json) larger than this is not ours. */
export const MAX_STATE_FILE_BYTES = 64 * 1024;

/** A key or chain file we read back larger than this is not ours. */
export const MAX_PEM_BYTES = 1024 * 1024;
