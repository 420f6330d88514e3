/*
 * Limits on password hashing and verification, each with its reason.
 *
 * A stored hash chooses its own cost (rounds, memory), and a login attempt
 * makes us pay it. The hashes come from the directory, not from the peer, but
 * a migration brings in strings nobody here wrote, and a peer can repeat a
 * login against one bad entry as often as the brute-force limits allow. So
 * every cost a stored string can ask for is capped here; a hash over a cap is
 * refused (ok:false, reason 'cost-too-high' from inspectPassword) rather than
 * computed.
 *
 * Exports: the named constants below.
 * Security: these numbers bound the CPU and memory one login attempt can use.
 * Standards: none; the reasons cite the specifications they depart from.
 */

/** Longest password accepted, in UTF-8 bytes. SHA-crypt hashes the password
 * about twice per round, so its cost grows with length times rounds; 1024
 * bytes is far above any generated or typed password. */
export const MAX_PASSWORD_BYTES = 1024;

/** Longest stored hash string looked at. The longest legitimate one (Argon2
 * with a 64-byte hash and salt, plus prefix) is under 250 characters. */
export const MAX_STORED_LENGTH = 512;

/** SHA-crypt rounds ceiling. Drepper's specification allows 999,999,999,
 * which is minutes of CPU per attempt. The highest defaults in use are
 * passlib's 656,000 (SHA-512) and 535,000 (SHA-256); 1,000,000 leaves
 * headroom; it measured about 2 s of CPU (SHA-512, short password) on the
 * development machine, spread over slices (below). */
export const MAX_SHA_CRYPT_ROUNDS = 1_000_000;

/** SHA-crypt rounds are run in slices of this many, yielding to the event
 * loop between slices so that one expensive hash does not stall every other
 * session. */
export const SHA_CRYPT_ROUNDS_PER_SLICE = 5_000;

/** bcrypt cost ceiling (log2 of iterations). 14 is four times the cost of
 * 12, the highest default in common use (PHP's default is 10, Dovecot's 5);
 * each step doubles the work, and the JavaScript implementation is slower
 * than C. */
export const MAX_BCRYPT_COST = 14;

/** Argon2 memory ceiling in KiB (256 MiB): four times RFC 9106's second
 * recommended option (64 MiB) and Dovecot's default. Memory is the cost that
 * can exhaust the host when several logins run at once. */
export const MAX_ARGON2_MEMORY_KIB = 262_144;

/** Argon2 time cost (passes) ceiling. */
export const MAX_ARGON2_TIME_COST = 16;

/** Argon2 parallelism ceiling (lanes). */
export const MAX_ARGON2_PARALLELISM = 16;

/** Argon2 salt and tag bounds, in bytes. RFC 9106 requires a salt of at
 * least 8 bytes and a tag of at least 4; more than 64 of either is not
 * produced by any tool we know and only costs memory. */
export const MIN_ARGON2_SALT_BYTES = 8;
export const MAX_ARGON2_SALT_BYTES = 64;
export const MIN_ARGON2_HASH_BYTES = 4;
export const MAX_ARGON2_HASH_BYTES = 64;

/** Salted-digest (SSHA256, SSHA512) salt ceiling in bytes. Dovecot uses 4
 * to 8; anything over 64 is not a hash we wrote or imported. */
export const MAX_DIGEST_SALT_BYTES = 64;
