/*
 * Versioned schema migrations, written once for both SQL dialects. Each
 * migration runs in its own transaction and is recorded in
 * schema_migrations; a database newer than this code refuses to open.
 *
 * Conventions: ids are 64-bit integers, timestamps milliseconds since the
 * epoch (BIGINT), booleans INTEGER 0/1, text is UTF-8.
 *
 * Security: none at run time; operator-triggered at start-up.
 */
import type { Dialect, SqlDriver } from './driver.js';
import { fullTextDdl, searchQueueDdl } from './fulltext.js';

interface Migration {
  version: number;
  name: string;
  statements: (d: Dialect) => string[];
}

const id = (d: Dialect) => (d === 'sqlite' ? 'INTEGER PRIMARY KEY' : 'BIGSERIAL PRIMARY KEY');

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'directory, mailboxes, messages, blobs, queue',
    statements: (d) => [
      `CREATE TABLE domains (
        id ${id(d)},
        name TEXT NOT NULL,
        ascii TEXT NOT NULL UNIQUE,
        alias_of BIGINT NULL REFERENCES domains(id) ON DELETE CASCADE,
        created_at BIGINT NOT NULL
      )`,
      `CREATE TABLE accounts (
        id ${id(d)},
        domain_id BIGINT NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
        local TEXT NOT NULL,
        password TEXT NOT NULL,
        quota_bytes BIGINT NOT NULL DEFAULT 0,
        used_bytes BIGINT NOT NULL DEFAULT 0,
        enabled INTEGER NOT NULL DEFAULT 1,
        created_at BIGINT NOT NULL,
        UNIQUE (domain_id, local)
      )`,
      `CREATE TABLE aliases (
        id ${id(d)},
        domain_id BIGINT NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
        local TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        UNIQUE (domain_id, local)
      )`,
      `CREATE TABLE alias_targets (
        alias_id BIGINT NOT NULL REFERENCES aliases(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        target TEXT NOT NULL,
        PRIMARY KEY (alias_id, position)
      )`,
      `CREATE TABLE mailboxes (
        id ${id(d)},
        account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        special_use TEXT NULL,
        uidvalidity BIGINT NOT NULL,
        uidnext BIGINT NOT NULL DEFAULT 1,
        highest_modseq BIGINT NOT NULL DEFAULT 1,
        message_count BIGINT NOT NULL DEFAULT 0,
        total_size BIGINT NOT NULL DEFAULT 0,
        subscribed INTEGER NOT NULL DEFAULT 1,
        created_at BIGINT NOT NULL,
        UNIQUE (account_id, name)
      )`,
      `CREATE TABLE blobs (
        hash TEXT PRIMARY KEY,
        size BIGINT NOT NULL,
        mime TEXT NOT NULL,
        created_at BIGINT NOT NULL
      )`,
      `CREATE TABLE messages (
        id ${id(d)},
        mailbox_id BIGINT NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
        uid BIGINT NOT NULL,
        modseq BIGINT NOT NULL,
        flags TEXT NOT NULL DEFAULT '',
        internal_date BIGINT NOT NULL,
        save_date BIGINT NOT NULL,
        size BIGINT NOT NULL,
        blob_hash TEXT NOT NULL REFERENCES blobs(hash),
        message_id TEXT NULL,
        queue_id TEXT NULL,
        UNIQUE (mailbox_id, uid)
      )`,
      `CREATE INDEX messages_blob ON messages (blob_hash)`,
      `CREATE TABLE queue (
        queue_id TEXT PRIMARY KEY,
        sender TEXT NOT NULL,
        blob_hash TEXT NOT NULL REFERENCES blobs(hash),
        size BIGINT NOT NULL,
        source TEXT NOT NULL,
        account_id BIGINT NULL REFERENCES accounts(id) ON DELETE SET NULL,
        message_id TEXT NULL,
        held INTEGER NOT NULL DEFAULT 0,
        created_at BIGINT NOT NULL
      )`,
      `CREATE TABLE queue_recipients (
        queue_id TEXT NOT NULL REFERENCES queue(queue_id) ON DELETE CASCADE,
        recipient TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt BIGINT NOT NULL,
        last_reply TEXT NULL,
        PRIMARY KEY (queue_id, recipient)
      )`,
      `CREATE INDEX queue_recipients_due ON queue_recipients (status, next_attempt)`,
    ],
  },
  {
    version: 2,
    name: 'subscriptions, expunged UIDs for QRESYNC, UIDVALIDITY counter',
    statements: () => [
      // Subscriptions are names, not mailboxes (RFC 9051 6.3.7): they outlive
      // a deleted mailbox. mailboxes.subscribed is no longer read.
      `CREATE TABLE subscriptions (
        account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (account_id, name)
      )`,
      `INSERT INTO subscriptions (account_id, name, created_at) SELECT account_id, name, created_at FROM mailboxes WHERE subscribed = 1`,
      `CREATE TABLE expunged (
        mailbox_id BIGINT NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
        uid BIGINT NOT NULL,
        modseq BIGINT NOT NULL,
        PRIMARY KEY (mailbox_id, uid)
      )`,
      `CREATE INDEX expunged_modseq ON expunged (mailbox_id, modseq)`,
      `CREATE INDEX messages_modseq ON messages (mailbox_id, modseq)`,
      // The last UIDVALIDITY given out, so a re-created name never reuses one.
      `ALTER TABLE accounts ADD COLUMN last_uidvalidity BIGINT NOT NULL DEFAULT 0`,
      `UPDATE accounts SET last_uidvalidity = COALESCE((SELECT MAX(uidvalidity) FROM mailboxes WHERE mailboxes.account_id = accounts.id), 0)`,
    ],
  },
  {
    version: 3,
    name: 'search text and sort keys per blob',
    statements: (d) => [
      // One row per blob (a COPY shares it); the text itself is in blob_text
      // (fulltext.ts: FTS5 trigram on SQLite), rowid = blob_search.id.
      // Blobs stored before this version have none and match no text key.
      `CREATE TABLE blob_search (
        id ${id(d)},
        hash TEXT NOT NULL UNIQUE REFERENCES blobs(hash) ON DELETE CASCADE,
        sent_date BIGINT NULL,
        sent_day INTEGER NULL,
        subject TEXT NOT NULL DEFAULT '',
        from_mailbox TEXT NULL,
        to_mailbox TEXT NULL,
        cc_mailbox TEXT NULL,
        message_id TEXT NULL,
        in_reply_to TEXT NULL,
        refs TEXT NULL
      )`,
      ...fullTextDdl(d),
    ],
  },
  {
    version: 4,
    name: 'IMAP METADATA entries, spam/ham learning events',
    statements: (d) => [
      // RFC 5464 server entries of one user (/private and /shared alike: one user sees them).
      `CREATE TABLE server_metadata (
        account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        entry TEXT NOT NULL,
        value ${d === 'sqlite' ? 'BLOB' : 'BYTEA'} NOT NULL,
        PRIMARY KEY (account_id, entry)
      )`,
      // Mailbox entries follow the mailbox row: RENAME keeps the id, DELETE cascades.
      `CREATE TABLE mailbox_metadata (
        mailbox_id BIGINT NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
        entry TEXT NOT NULL,
        value ${d === 'sqlite' ? 'BLOB' : 'BYTEA'} NOT NULL,
        PRIMARY KEY (mailbox_id, entry)
      )`,
      // A message moved into \Junk (spam) or out of it (ham), for the spam filter to train from.
      `CREATE TABLE learning_events (
        id ${id(d)},
        account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        blob_hash TEXT NOT NULL,
        kind TEXT NOT NULL,
        created_at BIGINT NOT NULL
      )`,
      `CREATE INDEX learning_events_blob ON learning_events (blob_hash)`,
    ],
  },
  {
    version: 5,
    name: 'THREADID per message, \\Recent mark per mailbox',
    statements: () => [
      // OBJECTID THREADID (RFC 8474); messages already stored each start their own thread.
      `ALTER TABLE messages ADD COLUMN thread_id TEXT NULL`,
      `UPDATE messages SET thread_id = 'T' || blob_hash`,
      // Threading looks up the Message-IDs a new message refers to within its account.
      `CREATE INDEX messages_message_id ON messages (message_id)`,
      // RFC 3501 \Recent: UIDs from recent_uid on are recent for the next SELECT; nothing stored before is.
      `ALTER TABLE mailboxes ADD COLUMN recent_uid BIGINT NOT NULL DEFAULT 1`,
      `UPDATE mailboxes SET recent_uid = uidnext`,
    ],
  },
  {
    version: 6,
    name: 'search queue: text indexed after delivery by the commit worker',
    // fulltext.ts says why: delivery stores the sort keys only; the text is computed and indexed later.
    statements: (d) => searchQueueDdl(d),
  },
  {
    version: 7,
    name: 'DKIM signing keys per domain',
    statements: (d) => [
      // A domain's keys go with it; a selector names one key (one TXT record), so RSA and Ed25519 keys differ in selector.
      `CREATE TABLE dkim_keys (
        id ${id(d)},
        domain_id BIGINT NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
        selector TEXT NOT NULL,
        algorithm TEXT NOT NULL,
        private_key TEXT NOT NULL,
        public_key TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        UNIQUE (domain_id, selector)
      )`,
    ],
  },
  {
    version: 8,
    name: 'queue: the MAIL and RCPT parameters delivery and DSNs need',
    statements: () => [
      `ALTER TABLE queue ADD COLUMN ret TEXT NULL`,
      `ALTER TABLE queue ADD COLUMN envid TEXT NULL`,
      `ALTER TABLE queue ADD COLUMN smtputf8 INTEGER NOT NULL DEFAULT 0`,
      `ALTER TABLE queue ADD COLUMN requiretls INTEGER NOT NULL DEFAULT 0`,
      `ALTER TABLE queue ADD COLUMN body_type TEXT NULL`,
      `ALTER TABLE queue_recipients ADD COLUMN notify TEXT NULL`,
      `ALTER TABLE queue_recipients ADD COLUMN orcpt TEXT NULL`,
    ],
  },
  {
    version: 9,
    name: 'outbound delivery: attempts history, hold reasons, DSN state, MTA-STS policy cache',
    statements: (d) => [
      // Why a message is held (by the operator, or as poison after repeated processing failures).
      `ALTER TABLE queue ADD COLUMN hold_reason TEXT NULL`,
      // Consecutive attempts that failed inside Petrel (not a remote reply): a poison message is held after a few.
      `ALTER TABLE queue ADD COLUMN failures INTEGER NOT NULL DEFAULT 0`,
      // When the delay warning DSN went out, so it goes once.
      `ALTER TABLE queue ADD COLUMN warned_at BIGINT NULL`,
      // The enhanced status code of the last reply (5.1.1), the host that gave it, and when a final state was reached.
      `ALTER TABLE queue_recipients ADD COLUMN status_code TEXT NULL`,
      `ALTER TABLE queue_recipients ADD COLUMN remote_host TEXT NULL`,
      `ALTER TABLE queue_recipients ADD COLUMN done_at BIGINT NULL`,
      // A final state whose DSN (failure, or success to a peer without DSN) is still to be sent: 'failed', 'relayed', 'delivered'.
      `ALTER TABLE queue_recipients ADD COLUMN dsn_pending TEXT NULL`,
      `CREATE TABLE queue_attempts (
        id ${id(d)},
        queue_id TEXT NOT NULL REFERENCES queue(queue_id) ON DELETE CASCADE,
        recipient TEXT NOT NULL,
        attempted_at BIGINT NOT NULL,
        outcome TEXT NOT NULL,
        host TEXT NULL,
        address TEXT NULL,
        status_code TEXT NULL,
        reply TEXT NULL
      )`,
      `CREATE INDEX queue_attempts_message ON queue_attempts (queue_id)`,
      // RFC 8461 section 5: a policy is cached until max_age runs out, refreshed when the TXT id changes.
      `CREATE TABLE mta_sts_policies (
        domain TEXT PRIMARY KEY,
        policy_id TEXT NOT NULL,
        mode TEXT NOT NULL,
        mx TEXT NOT NULL,
        max_age BIGINT NOT NULL,
        fetched_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      )`,
    ],
  },
  {
    version: 10,
    name: 'blob garbage collection: the queue found by blob',
    // The collector asks, for every stored blob, whether a message, a queued message or a learning event still uses it.
    statements: () => [`CREATE INDEX queue_blob ON queue (blob_hash)`],
  },
  {
    version: 11,
    name: 'ACME: the account and the HTTP-01 challenges in progress',
    statements: (d) => [
      // The server's HTTP listener answers challenges that the CLI (petrel cert issue) or the server's renewal put here.
      `CREATE TABLE acme_challenges (
        token TEXT PRIMARY KEY,
        key_authorization TEXT NOT NULL,
        expires_at BIGINT NOT NULL
      )`,
      `CREATE TABLE acme_accounts (
        id ${id(d)},
        directory_url TEXT NOT NULL UNIQUE,
        account_key TEXT NOT NULL,
        account_url TEXT NULL,
        email TEXT NULL,
        created_at BIGINT NOT NULL
      )`,
    ],
  },
  {
    version: 12,
    name: 'DKIM key rotation: each key\'s state and when it started and stopped signing',
    statements: () => [
      // pending (to be published, not signing), active (signing), retiring (stopped signing, still published), retired (may be unpublished).
      // Keys made before rotation existed were all signing.
      `ALTER TABLE dkim_keys ADD COLUMN state TEXT NOT NULL DEFAULT 'active'`,
      `ALTER TABLE dkim_keys ADD COLUMN activated_at BIGINT NULL`,
      // When the key stopped signing: the retirement grace runs from here.
      `ALTER TABLE dkim_keys ADD COLUMN retired_at BIGINT NULL`,
      `UPDATE dkim_keys SET activated_at = created_at`,
    ],
  },
  {
    version: 13,
    name: 'spam filter: Bayes token counts (global and per account) and the messages learned',
    statements: () => [
      // In how many learned spam and ham messages a token (a hash, never the word) appeared. The token '' holds the
      // number of messages learned, so the totals are one row read beside the tokens.
      `CREATE TABLE bayes_tokens (
        token TEXT PRIMARY KEY,
        spam BIGINT NOT NULL DEFAULT 0,
        ham BIGINT NOT NULL DEFAULT 0,
        touched_at BIGINT NOT NULL
      )`,
      // The same per account, going with the account.
      `CREATE TABLE bayes_account_tokens (
        account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        token TEXT NOT NULL,
        spam BIGINT NOT NULL DEFAULT 0,
        ham BIGINT NOT NULL DEFAULT 0,
        touched_at BIGINT NOT NULL,
        PRIMARY KEY (account_id, token)
      )`,
      // What each table has learned a message (by its SHA-256) as, so it is learned once and relearned ham <-> spam.
      `CREATE TABLE bayes_learned (
        message_key TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        learned_at BIGINT NOT NULL
      )`,
      `CREATE TABLE bayes_account_learned (
        account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        message_key TEXT NOT NULL,
        kind TEXT NOT NULL,
        learned_at BIGINT NOT NULL,
        PRIMARY KEY (account_id, message_key)
      )`,
    ],
  },
  {
    version: 14,
    name: 'quarantine: messages held by the filters, with why, until released or deleted',
    statements: (d) => [
      // The message is a blob like any other (our Received and the filters' fields included); recipients is a JSON array
      // of the addresses as given at RCPT, resolved again when the message is released; envelope the MAIL parameters.
      `CREATE TABLE quarantine (
        id ${id(d)},
        queue_id TEXT NOT NULL,
        blob_hash TEXT NOT NULL,
        size BIGINT NOT NULL,
        sender TEXT NOT NULL,
        recipients TEXT NOT NULL,
        reason TEXT NOT NULL,
        source TEXT NOT NULL,
        client_ip TEXT NULL,
        message_id TEXT NULL,
        subject TEXT NULL,
        envelope TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        release_requested_at BIGINT NULL
      )`,
      `CREATE INDEX quarantine_blob ON quarantine (blob_hash)`,
      `CREATE INDEX quarantine_created ON quarantine (created_at)`,
    ],
  },
  {
    version: 15,
    name: 'greylisting: triplets seen and the client networks that retried',
    statements: () => [
      // triplet: a hash of the client network, the sender and the recipient (no address is kept in clear).
      `CREATE TABLE greylist (
        triplet TEXT PRIMARY KEY,
        first_seen BIGINT NOT NULL,
        last_seen BIGINT NOT NULL,
        passed_at BIGINT NULL
      )`,
      `CREATE INDEX greylist_last_seen ON greylist (last_seen)`,
      // How many triplets from a network passed (postgrey's auto-whitelist-clients).
      `CREATE TABLE greylist_clients (
        network TEXT PRIMARY KEY,
        passes BIGINT NOT NULL,
        last_seen BIGINT NOT NULL
      )`,
    ],
  },
  {
    version: 16,
    name: 'sieve scripts: per user (one active at most) and global ones run before or after them',
    statements: (d) => [
      // source is the script as uploaded (UTF-8); compiled the JSON of its CompiledScript, made once when it was stored,
      // so delivery never parses; size the source's octets, which limits and quota count.
      `CREATE TABLE sieve_scripts (
        id ${id(d)},
        account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        source TEXT NOT NULL,
        compiled TEXT NOT NULL,
        size BIGINT NOT NULL,
        active INTEGER NOT NULL DEFAULT 0,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        UNIQUE (account_id, name)
      )`,
      // At most one active script per user, whatever two writers do at once (both dialects have partial indexes).
      `CREATE UNIQUE INDEX sieve_scripts_active ON sieve_scripts (account_id) WHERE active = 1`,
      // The administrator's scripts, as Pigeonhole's sieve_before / sieve_after: phase 'before' or 'after', run in name order.
      `CREATE TABLE sieve_global_scripts (
        name TEXT PRIMARY KEY,
        phase TEXT NOT NULL CHECK (phase IN ('before', 'after')),
        source TEXT NOT NULL,
        compiled TEXT NOT NULL,
        size BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      )`,
    ],
  },
  {
    version: 17,
    name: 'sieve marks: duplicate ids (RFC 7352) and vacation replies (RFC 5230) per user, with their expiry',
    statements: () => [
      // kind 'duplicate' or 'vacation'; mark a SHA-256 (hex) of the handle and the id or sender, so a hostile
      // Message-ID costs 64 characters; written in the delivery transaction that performs the actions.
      `CREATE TABLE sieve_marks (
        account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        mark TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        PRIMARY KEY (account_id, kind, mark)
      )`,
    ],
  },
];

export const LATEST_VERSION = migrations[migrations.length - 1]!.version;

/** Applies pending migrations; returns the versions applied. */
export async function migrate(driver: SqlDriver, now: () => number = Date.now): Promise<number[]> {
  await driver.run(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
  const applied: number[] = [];
  // Each step re-reads the version inside its transaction, so two processes
  // starting at once cannot both apply the same migration.
  for (const migration of migrations) {
    const done = await driver.transaction(async (tx) => {
      const row = await tx.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
      const current = row?.v ?? 0;
      if (current > LATEST_VERSION) {
        throw new Error(`the database is at schema version ${current}, newer than this Petrel (${LATEST_VERSION}); upgrade Petrel`);
      }
      // By presence, not by the highest version: a migration numbered below one a
      // database already has (branches developed side by side) is still applied.
      if (await tx.get('SELECT 1 AS x FROM schema_migrations WHERE version = ?', [migration.version])) return false;
      for (const statement of migration.statements(driver.dialect)) await tx.run(statement);
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [migration.version, migration.name, now()]);
      return true;
    });
    if (done) applied.push(migration.version);
  }
  return applied;
}
