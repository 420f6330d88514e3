/*
 * The configuration schema: every key Petrel reads, declared once, with its
 * type, its default and a sentence saying what it does. `petrel init` and
 * docs/CONFIGURATION.md are generated from this file, so they cannot drift.
 *
 * The defaults are the development profile that `npm start` runs with no
 * configuration file: every role on 127.0.0.1, on the "+1000" ports.
 *
 * Security: the configuration is operator input, trusted; values are still
 * validated so a typo stops start-up with the key and the reason.
 */
import { z } from 'zod';
import { DEFAULT_BLOCKED_EXTENSIONS } from '../filters/attachments/settings.js';
import { isNetwork } from '../net/ip.js';
import { parseDuration, parseSize } from './units.js';

/** A key with its default and its sentence. */
function key<T extends z.ZodType>(schema: T, defaultValue: z.output<T>, doc: string) {
  return schema.default(defaultValue as never).describe(doc);
}

/** A key whose default is written as the operator would write it ("50M", "5m") and parsed like input. */
function keyInput<T extends z.ZodType>(schema: T, defaultInput: z.input<T>, doc: string) {
  return schema.prefault(defaultInput as never).describe(doc);
}

/** A section: a table of keys, all optional. */
function section<T extends z.ZodRawShape>(doc: string, shape: T) {
  return z.object(shape).strict().prefault({} as never).describe(doc);
}

const size = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const bytes = parseSize(v);
  if (bytes === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a size (use a number of bytes or a unit: 512K, 50M, 2G)` });
    return z.NEVER;
  }
  return bytes;
});

const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration (use 250ms, 30s, 5m, 1h or 2d)` });
    return z.NEVER;
  }
  return ms;
});

/** "host:port", "[v6]:port" or "unix:/path". */
const listenAddress = z.string().refine((v) => /^unix:\/.+/.test(v) || /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):\d{1,5}$/.test(v), {
  message: 'must be "host:port", "[ipv6]:port" or "unix:/path/to/socket"',
});

const hostname = z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/, 'must be a host name such as mail.example.com');

function listener(doc: string, enabled: boolean, listen: string[]) {
  return section(doc, {
    enabled: key(z.boolean(), enabled, 'Whether this role runs in this process.'),
    listen: key(z.array(listenAddress), listen, 'Addresses to listen on: "host:port", "[ipv6]:port", or "unix:/path" where the role allows it.'),
  });
}

export const configSchema = z
  .object({
    hostname: key(hostname, 'localhost', 'This server\'s host name: used in SMTP banners, EHLO, Received headers and the self-signed certificate. In production, the name your MX record points at.'),
    data_dir: key(z.string().min(1), './data', 'Where Petrel keeps its database, message files and generated certificates. Relative paths are relative to the working directory.'),

    log: section('Logging.', {
      level: key(z.enum(['debug', 'info', 'warn', 'error']), 'info', 'The least severe level written to standard output.'),
    }),

    mx: listener('MX: receives mail for hosted domains from the Internet; never relays. Standard port 25.', true, ['127.0.0.1:1025']),
    submission: listener('Submission with STARTTLS: authenticated users send mail; AUTH only after TLS. Standard port 587.', true, ['127.0.0.1:1587']),
    submissions: listener('Submission over implicit TLS. Standard port 465.', true, ['127.0.0.1:1465']),
    lmtp: listener('LMTP: delivery into mailboxes for an external MTA such as Postfix (virtual_transport). Keep it on loopback or a unix socket. Standard port 24.', true, ['127.0.0.1:1024']),
    imap: listener('IMAP with STARTTLS: users read their mail; LOGINDISABLED and no AUTH before TLS. Standard port 143.', true, ['127.0.0.1:1143']),
    imaps: listener('IMAP over implicit TLS. Standard port 993.', true, ['127.0.0.1:1993']),
    pop3: listener('POP3 with STLS: users download their INBOX; no USER/PASS/AUTH before TLS. Standard port 110.', true, ['127.0.0.1:1110']),
    pop3s: listener('POP3 over implicit TLS. Standard port 995.', true, ['127.0.0.1:1995']),
    managesieve: section('ManageSieve (RFC 5804): users upload, activate and manage their Sieve filters from mail clients, webmail or sieve-connect. STARTTLS only (there is no implicit-TLS port); no SASL mechanism is offered before TLS. Port 4190, the standard and the development port alike (it is unprivileged).', {
      enabled: key(z.boolean(), true, 'Whether this role runs in this process.'),
      listen: key(z.array(listenAddress), ['127.0.0.1:4190'], 'Addresses to listen on: "host:port" or "[ipv6]:port".'),
      max_script_size: keyInput(size, '64K', 'The largest script one user may store (octets of UTF-8), refused with QUOTA/MAXSIZE before it is read; also the limit of `petrel sieve put` (Pigeonhole\'s sieve_max_script_size, 1M there). Scripts are compiled on the event loop when uploaded: a hostile 1M script takes about 0.2 s, 64K about 15 ms.'),
      max_scripts: key(z.number().int().min(0), 20, 'Scripts one user may keep, active or not; past it PUTSCRIPT answers QUOTA/MAXSCRIPTS (sieve_quota_max_scripts). 0 is no limit.'),
      max_storage: keyInput(size, '1M', 'Octets all of one user\'s scripts may take together; past it PUTSCRIPT answers QUOTA (sieve_quota_max_storage). 0 is no limit.'),
    }),
    http: listener('HTTP: ACME HTTP-01 challenges, and a redirect of everything else to HTTPS. Standard port 80.', true, ['127.0.0.1:8080']),
    https: listener('HTTPS: the MTA-STS policy of each domain, Thunderbird autoconfig and Outlook autodiscover, a health endpoint; the certificate chosen by SNI like every TLS listener. Standard port 443.', true, ['127.0.0.1:8443']),

    network: section('How the Internet reaches this host: what `petrel dns plan` publishes and `petrel doctor` checks against.', {
      public_ipv4: key(z.array(z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, 'must be an IPv4 address')), [], 'The public IPv4 addresses mail arrives at and leaves from. Empty: the non-private addresses of this host\'s interfaces.'),
      public_ipv6: key(z.array(z.string().regex(/^[0-9a-fA-F:]+$/, 'must be an IPv6 address')), [], 'The public IPv6 addresses, likewise. Empty: the global addresses of this host\'s interfaces.'),
    }),

    domains: section('What every hosted domain publishes: client names, DMARC, MTA-STS and TLS reports (`petrel dns plan` prints the records; the HTTPS listener serves the MTA-STS policy and client autoconfiguration).', {
      client_host: key(z.string().regex(/^$|^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/, 'must be a DNS label such as mail, or empty'), 'mail', 'The label of the name users configure in their mail clients: "mail" means mail.<domain> (which gets its own certificate). Empty means the server\'s hostname for every domain.'),
      dmarc_policy: key(z.enum(['none', 'quarantine', 'reject']), 'none', 'The DMARC policy `petrel dns plan` proposes: start at none and read the reports, then quarantine, then reject.'),
      dmarc_rua: key(z.string(), '', 'Where DMARC aggregate reports go (an address). Empty: postmaster@<domain>. An address at another domain needs that domain\'s authorisation record (the plan prints it).'),
      tls_rpt_rua: key(z.string(), '', 'Where TLS reports (RFC 8460) go (an address). Empty: postmaster@<domain>.'),
      mta_sts_mode: key(z.enum(['none', 'testing', 'enforce']), 'testing', 'The MTA-STS mode served to senders (RFC 8461): testing first, enforce once TLS reports are clean.'),
      mta_sts_max_age: keyInput(duration, '7d', 'How long senders may cache the MTA-STS policy (max_age).'),
    }),

    acme: section('Certificates from an ACME CA such as Let\'s Encrypt, for the host and each domain\'s client, mta-sts, autoconfig and autodiscover names, renewed before expiry and served without a restart.', {
      enabled: key(z.boolean(), false, 'Obtain and renew certificates automatically.'),
      directory_url: key(z.string().url(), 'https://acme-v02.api.letsencrypt.org/directory', 'The CA\'s ACME directory.'),
      email: key(z.string(), '', 'The contact address given to the CA for expiry notices. Empty: postmaster@<hostname>.'),
      challenge: key(z.enum(['http-01', 'dns-01']), 'http-01', 'How names are proven: http-01 through the [http] listener on port 80, or dns-01 through RFC 2136 updates (needed for wildcards, or when port 80 is closed).'),
      renew_before: keyInput(duration, '30d', 'Renew a certificate this long before it expires (with some hours of random jitter).'),
      directory_ca: key(z.string(), '', 'A PEM file of the CA certificates trusted for the ACME directory\'s HTTPS (a private CA such as step-ca). Empty: the system\'s roots.'),
      dns_update: section('DNS-01: RFC 2136 dynamic updates signed with TSIG, to the server that is primary for the domains.', {
        server: key(z.string(), '', 'The DNS server that accepts updates, "address:port" (53 by default).'),
        key_name: key(z.string(), '', 'The TSIG key name, as in the server\'s configuration.'),
        key_secret: key(z.string(), '', 'The TSIG secret (base64); write "${TSIG_SECRET}" to take it from the environment.'),
        algorithm: key(z.enum(['hmac-sha256', 'hmac-sha512']), 'hmac-sha256', 'The TSIG algorithm.'),
        propagation: keyInput(duration, '60s', 'How long to wait after the updates before the CA is asked to look, so the zone\'s secondaries have the records. A zone served by the updated server alone needs only a few seconds.'),
      }),
    }),

    tls: section('Certificates for every TLS listener, chosen by SNI.', {
      certs_dir: key(z.string(), '', 'A directory in the Let\'s Encrypt layout (live/<name>/fullchain.pem and privkey.pem). Empty means <data_dir>/certs; /etc/letsencrypt works as is.'),
      default_name: key(z.string(), '', 'The name whose certificate answers clients that send no SNI or an unknown name. Empty means the host name\'s certificate.'),
      certificate: key(
        z.array(z.object({ cert: z.string().min(1), key: z.string().min(1) }).strict()),
        [],
        'Extra certificates: a list of { cert = "fullchain.pem", key = "privkey.pem" } file pairs; their names come from the certificates.',
      ),
    }),

    smtp: section('Limits and behaviour shared by the MX, submission and LMTP listeners.', {
      max_message_size: keyInput(size, '50M', 'The largest message accepted, announced in EHLO SIZE and enforced at MAIL and at the end of DATA.'),
      max_recipients: key(z.number().int().min(1).max(10_000), 100, 'Recipients accepted in one transaction; more get 452 4.5.3.'),
      max_received_headers: key(z.number().int().min(10).max(500), 50, 'A message with more Received headers than this is looping: 554 5.4.0.'),
      max_connections: key(z.number().int().min(1), 1000, 'Concurrent SMTP connections per listener.'),
      max_connections_per_ip: key(z.number().int().min(1), 20, 'Concurrent SMTP connections from one client address (IPv6 grouped by /64).'),
      max_errors: key(z.number().int().min(1).max(1000), 20, 'Errors in one session before it is ended with 421; after half of them each error reply is delayed.'),
      error_delay: keyInput(duration, '1s', 'The delay added to each error reply once a session has made half of max_errors.'),
      user_messages_per_hour: key(z.number().int().min(0), 200, 'Messages one authenticated user may submit in any 60 minutes; past it MAIL answers 450 4.7.1, so a compromised account cannot flood the world. 0 is no limit.'),
      user_recipients_per_hour: key(z.number().int().min(0), 1000, 'Recipients, over all their messages, one authenticated user may submit in any 60 minutes; past it RCPT answers 450 4.7.1. 0 is no limit.'),
      client_connection_rate: key(z.number().int().min(0), 60, 'MX: connections one client (an address, IPv6 by /64) may open per minute; past it 421 4.7.0 (Postfix\'s smtpd_client_connection_rate_limit). Clients in trusted_networks and logged-in users are not counted. 0 is no limit.'),
      client_message_rate: key(z.number().int().min(0), 120, 'MX: messages (MAIL) one client may send per minute; past it 450 4.7.1, so it retries later.'),
      client_recipient_rate: key(z.number().int().min(0), 600, 'MX: recipients (RCPT) one client may give per minute; past it 450 4.7.1.'),
      greeting_delay: keyInput(duration, '1s', 'MX only: how long to wait before the banner for clients outside trusted_networks; a client that talks during the wait is dropped (early talker, as postscreen\'s pregreet test). 0 turns the check off.'),
      trusted_networks: key(z.array(z.string().refine(isNetwork, { message: 'must be an address or a network in CIDR notation, such as 192.0.2.0/24 or 2001:db8::/32' })), ['127.0.0.0/8', '::1/128'], 'Clients spared the greeting wait (like Postfix\'s mynetworks for postscreen). Grants no relaying.'),
      timeout: keyInput(duration, '5m', 'Idle time allowed between client commands, and per DATA chunk.'),
    }),

    directory: section('Users, domains and how addresses resolve.', {
      subaddress_separator: key(z.string().max(1), '+', 'The character that separates a user from a tag (user+tag@example.com delivers to user@example.com). Empty turns sub-addressing off.'),
      postmaster: key(z.string(), '', 'Where postmaster@ of a domain without its own postmaster user or alias is delivered. Empty means the oldest user of that domain.'),
    }),

    dkim: section('DKIM signing keys, made for every domain at `petrel domain add`.', {
      selector: key(z.union([z.literal(''), z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/, 'must be a DNS label such as s2026')]), '', 'Selector of the RSA-2048 key made for a new domain. Empty means "s" and the current year (s2026), so a later key gets a new name. The Ed25519 key, when made, adds "-ed".'),
      ed25519: key(z.boolean(), false, 'Also make an Ed25519 key for each new domain (dual signing, RFC 8463); receivers that do not know Ed25519 check the RSA signature.'),
      check_interval: keyInput(duration, '1h', 'How often `petrel serve` looks up the records of keys made by `petrel dkim rotate` and switches signing to a key once its record is visible (also once at start; `petrel dkim check` does it at once).'),
      retire_after: keyInput(duration, '7d', 'How long the record of a key that stopped signing must stay published (mail in queues and late verifiers still check its signatures) before `petrel dkim show` says it can be removed.'),
    }),

    filters: section('The checks of incoming mail, run inside the SMTP session so that a verdict is given before the message is accepted (nothing accepted and then bounced).', {
      stage_timeout: keyInput(duration, '60s', 'How long one check may take at one stage (clamd on a large message included); past it the message gets 451 4.3.0, never an acceptance.'),
      authserv_id: key(z.string(), '', 'The name in our Authentication-Results headers; incoming ones claiming it are removed. Empty: the hostname.'),
    }),

    clamav: section('Virus scanning with ClamAV: every message from the MX and submission is streamed to clamd (INSTREAM) before it is accepted; an infected one is refused with 554 5.7.1, the signature named in the log only.', {
      enabled: key(z.boolean(), false, 'Scan with clamd. Needs a running clamd (Debian: clamav-daemon, with freshclam keeping its signatures current).'),
      address: key(
        z.string().refine((v) => /^\/.+/.test(v) || /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+)(:\d{1,5})?$/.test(v), { message: 'must be "host:port", "[ipv6]:port" or an absolute path to clamd\'s unix socket' }),
        '127.0.0.1:3310',
        'clamd\'s TCPSocket as "host:port" ("[::1]:3310"), or the absolute path of its LocalSocket, such as "/run/clamav/clamd.ctl".',
      ),
      timeout: keyInput(duration, '30s', 'One message\'s whole exchange with clamd, the scan included; past it the message is unscanned. Keep it under [filters] stage_timeout.'),
      connect_timeout: keyInput(duration, '5s', 'How long to wait for the connection to clamd.'),
      fail_open: key(z.boolean(), false, 'When clamd is down, silent, answers an error, or the message is over its limits: false answers 451 4.7.1 (the sender retries later); true accepts the message with "X-Virus-Status: Unscanned (reason)".'),
      max_size: keyInput(size, '25M', 'Larger messages are not sent to clamd and count as over its limits (never as clean). At most clamd\'s StreamMaxLength (Debian\'s default 25M), which clamd enforces the same way.'),
    }),

    attachments: section('The attachment policy: file types refused at the MX whatever a virus scanner says, found by name (Content-Disposition filename, Content-Type name) and by content (Windows and ELF executables, scripts), also inside zip archives.', {
      enabled: key(z.boolean(), true, 'Check attachments. Needs no external service.'),
      blocked: key(
        z.array(z.string().regex(/^\.?[A-Za-z0-9_-]{1,20}$/, 'must be a file name extension such as "exe"')),
        [...DEFAULT_BLOCKED_EXTENSIONS],
        'Extensions refused (case does not matter): Windows programs, scripts, shortcuts, installers and disk images, close to Gmail\'s list. An executable or a script found by its content is refused whatever its name.',
      ),
      action: key(z.enum(['reject', 'score']), 'reject', 'reject: 554 5.7.1 during the session, the file named in the log only; score: the attachment only counts in the spam score.'),
      scan_archives: key(z.boolean(), true, 'Look inside zip archives (and zips in zips, three deep), at their file names and contents.'),
      block_encrypted: key(z.boolean(), false, 'Refuse encrypted archives (password-protected zips), whose contents cannot be checked. Off, they only count in the spam score.'),
    }),

    dnsbl: section('DNS blocklists asked for the address of every MX client (RFC 5782), as Postfix\'s reject_rbl_client does.', {
      zones: key(z.array(hostname).max(10), [], 'Zones to ask, such as ["zen.spamhaus.org"]. Empty: none. Answers 127.255.255.x (Spamhaus\'s "will not answer", e.g. through a public resolver) count as not listed.'),
      action: key(z.enum(['reject', 'score']), 'reject', 'reject: a listed client\'s recipients get 554 5.7.1 (postmaster@ excepted); score: the listing only counts in the spam score.'),
    }),

    sender_auth: section('SPF (RFC 7208), DKIM (RFC 6376), DMARC (RFC 7489) and ARC (RFC 8617) checks of mail arriving at the MX, with the From domain\'s DMARC policy applied and one Authentication-Results field under [filters] authserv_id. Clients in [smtp] trusted_networks and authenticated users are not checked (their field says "none").', {
      enabled: key(z.boolean(), true, 'Check mail arriving at the MX.'),
      max_dns_queries: key(z.number().int().min(10).max(1000), 100, 'DNS questions one message may cause for SPF, DKIM and ARC together; past it each further question is a temperror. The From domain\'s own zone (its DMARC record, its DKIM keys) is asked within an allowance of its own, so a sender cannot use it up.'),
      dns_timeout: keyInput(duration, '10s', 'Time one message may spend waiting for those answers; past it each further question is a temperror. The From domain\'s own zone has as long again.'),
      dns_error: key(z.enum(['tempfail', 'temperror']), 'tempfail', 'DNS trouble that leaves the verdict undecided (the From domain\'s DMARC record, or an identifier aligned with it, could not be looked up): tempfail refuses with 451 4.4.3 so the sender retries; temperror records dmarc=temperror and accepts. Never a permanent refusal.'),
      dmarc_quarantine: key(z.enum(['junk', 'quarantine']), 'junk', 'Where mail failing DMARC of a domain with p=quarantine goes: the recipient\'s Junk, or the quarantine (`petrel quarantine`). p=reject is refused with 550 5.7.1.'),
      spf_fail_reject: key(z.boolean(), false, 'Refuse at MAIL FROM (550 5.7.1) when SPF fails. Off: an SPF failure only counts towards DMARC and the spam score.'),
      min_key_bits: key(z.number().int().min(1024).max(4096), 1024, 'DKIM and ARC RSA keys shorter than this do not verify (RFC 8301).'),
    }),

    greylist: section('Greylisting (RFC 6647), as postgrey does it: the first attempt of a client network (IPv4 /24, IPv6 /64), sender and recipient gets 451 4.7.1 at RCPT; a retry after the delay passes. Off by default: it delays first mail by the sender\'s retry interval.', {
      enabled: key(z.boolean(), false, 'Greylist MX clients outside trusted_networks (mail to postmaster@ and logged-in users never are).'),
      delay: keyInput(duration, '5m', 'How long a new triplet is deferred (postgrey --delay).'),
      retry_window: keyInput(duration, '2d', 'A retry later than this after the first attempt counts as a first attempt again.'),
      max_age: keyInput(duration, '35d', 'A triplet or an allowlisted network not seen for this long is forgotten (postgrey --max-age).'),
      auto_allowlist: key(z.number().int().min(0), 5, 'A client network whose mail passed this many times is no longer greylisted (postgrey --auto-whitelist-clients). 0: never.'),
    }),

    spam: section('The built-in spam scorer (rules, URI blocklists, a Bayesian classifier), optionally joined by SpamAssassin\'s spamd and rspamd; every scored message gets X-Spam-Score and X-Spam-Status.', {
      enabled: key(z.boolean(), true, 'Score mail arriving at the MX and over LMTP. Needs no external service.'),
      junk_score: key(z.number(), 5, 'At or above this score a message is spam: delivered to the recipient\'s Junk, or held in quarantine (action). SpamAssassin\'s required_score.'),
      reject_score: key(z.number().min(0), 15, 'At or above this score a message is refused during the session (550 5.7.1), when every recipient\'s domain would refuse it. 0: never refused.'),
      action: key(z.enum(['junk', 'quarantine']), 'junk', 'Where spam goes: the recipient\'s Junk mailbox, or the quarantine (`petrel quarantine`), from which nothing is ever bounced.'),
      domain: key(
        z.array(z.object({ name: hostname, junk_score: z.number().optional(), reject_score: z.number().min(0).optional(), action: z.enum(['junk', 'quarantine']).optional() }).strict()),
        [],
        'A hosted domain\'s own thresholds: [[spam.domain]] name = "example.com", junk_score = 4, reject_score = 0, action = "quarantine". Keys left out keep the defaults above.',
      ),
      scores: key(z.record(z.string().regex(/^[A-Z0-9_]+$/, 'test names are capitals, digits and _'), z.number()), {}, 'Scores replacing a rule\'s own, by test name: { MISSING_DATE = 2, HTML_ONLY = 0 } (0 turns a rule off). `petrel spam check` shows the tests a message hits.'),
      uribl: key(
        z.array(z.object({ zone: hostname, score: z.number(), name: z.string().regex(/^[A-Z0-9_]+$/).optional(), mask: z.number().int().min(1).max(255).optional() }).strict()).max(10),
        [],
        'URI blocklists asked for the domains of a message\'s links: [[spam.uribl]] zone = "multi.uribl.com", score = 4, mask = 14 (bits of the answer that count). Empty: links are not looked up.',
      ),
      max_uri_lookups: key(z.number().int().min(0).max(50), 20, 'Blocklist questions (domain x zone) per message.'),
      dnsbl_score: key(z.number(), 3, 'Added for each [dnsbl] zone listing the client, when [dnsbl] action = "score".'),
      learn_interval: keyInput(duration, '1m', 'How often the Bayes tables learn from messages users moved into or out of Junk.'),
      bayes: section('The Bayesian classifier, global and per user, trained by moves into and out of Junk and by `petrel spam learn`.', {
        enabled: key(z.boolean(), true, 'Classify with the learned tables (silent until they have learned enough).'),
        min_spam: key(z.number().int().min(1), 200, 'Spam messages a table must have learned before it is used (SpamAssassin\'s bayes_min_spam_num).'),
        min_ham: key(z.number().int().min(1), 200, 'Ham messages likewise (bayes_min_ham_num).'),
        per_user: key(z.boolean(), true, 'Use the recipient\'s own table when it has learned enough, else the global one.'),
      }),
      spamd: section('SpamAssassin\'s spamd, asked for every message; its score joins ours.', {
        address: key(z.string(), '', '"127.0.0.1:783", "[::1]:783" or an absolute path to its unix socket. Empty: not asked.'),
        timeout: keyInput(duration, '10s', 'One message\'s whole exchange; past it spamd\'s score is left out.'),
        weight: key(z.number().min(0), 1, 'Its score, scaled from its required score to junk_score, counts this many times.'),
        max_size: keyInput(size, '500K', 'Larger messages are not sent (spamc -s).'),
        user: key(z.string(), '', 'The user spamd scores for (spamc -u); empty: spamd\'s default.'),
      }),
      rspamd: section('rspamd\'s HTTP API (POST /checkv2), asked for every message; its score joins ours.', {
        url: key(z.union([z.literal(''), z.string().url()]), '', 'Its worker, such as "http://127.0.0.1:11333". Empty: not asked.'),
        password: key(z.string(), '', 'The Password header, when the worker wants one.'),
        timeout: keyInput(duration, '10s', 'One message\'s exchange; past it rspamd\'s score is left out.'),
        weight: key(z.number().min(0), 1, 'Its score, scaled from its required score to junk_score, counts this many times.'),
        max_size: keyInput(size, '500K', 'Larger messages are not sent.'),
      }),
    }),

    quarantine: section('Messages the filters held (spam or DMARC set to quarantine, a partial refusal): kept with the reason until `petrel quarantine release` or `delete`; never bounced.', {
      retention: keyInput(duration, '30d', 'Held messages older than this are deleted. 0 keeps them until an operator acts.'),
      check_interval: keyInput(duration, '1m', 'How often the server looks for messages marked for release (the CLI also wakes it at once) and for expired ones.'),
    }),

    dns: section('The DNS resolvers every lookup goes through: outbound MX routing, MTA-STS, DANE, and later sender authentication and the doctor.', {
      resolvers: key(
        z.array(z.string().refine((v) => /^(\[[0-9a-fA-F:.]+\]|[0-9.]+|[0-9a-fA-F:]+)(:\d{1,5})?$/.test(v) || /^\[[0-9a-fA-F:.]+\]:\d{1,5}$/.test(v), { message: 'must be an address with an optional port: "127.0.0.1", "127.0.0.1:5353", "[::1]:53"' })),
        [],
        'Resolver addresses, each "address" or "address:port" ("[v6]:port"). Empty means the system\'s (/etc/resolv.conf). For DANE, a validating resolver (one that sets the AD bit), such as a local unbound or BIND.',
      ),
      timeout: keyInput(duration, '5s', 'How long to wait for one resolver\'s answer before asking again.'),
      tries: key(z.number().int().min(1).max(10), 2, 'Questions sent per lookup (over the resolvers in turn) before it counts as a temporary failure.'),
    }),

    outbound: section('The outbound queue: delivering mail for remote recipients, retries, bounces.', {
      enabled: key(z.boolean(), true, 'Whether this process delivers the outbound queue. Off, mail is still queued (for another node, or until it is turned on).'),
      port: key(z.number().int().min(1).max(65535), 25, 'The TCP port of remote MX hosts (Postfix\'s smtp_tcp_port). Only tests and unusual networks change it.'),
      helo_name: key(z.union([z.literal(''), hostname]), '', 'The name sent in EHLO. Empty means hostname; it should be the name the sending address\'s PTR record gives.'),
      min_backoff: keyInput(duration, '5m', 'The wait before the first retry; each further retry waits twice as long, up to max_backoff (Postfix\'s minimal_backoff_time).'),
      max_backoff: keyInput(duration, '70m', 'The longest wait between two attempts (Postfix\'s maximal_backoff_time).'),
      max_lifetime: keyInput(duration, '5d', 'How long a message may stay in the queue before it is returned to its sender as undeliverable.'),
      bounce_lifetime: keyInput(duration, '5d', 'The same for bounces and other mail from the null sender, which nobody is told about when it fails.'),
      delay_warning: keyInput(duration, '0', 'Send the sender one "still trying" notice when a message has waited this long (Postfix\'s delay_warning_time). 0 sends none.'),
      destination_concurrency: key(z.number().int().min(1).max(1000), 20, 'Connections at once to one destination (a domain, a route, or the relay host).'),
      destination_rate: key(z.number().int().min(0), 0, 'Messages per minute to one destination; 0 is no limit. A destination over its rate waits without blocking the others.'),
      max_connections: key(z.number().int().min(1).max(10_000), 200, 'Outbound connections at once over all destinations.'),
      messages_per_connection: key(z.number().int().min(1).max(10_000), 100, 'Messages sent over one connection before it is closed (a connection is also reused only while it stays idle under 2 seconds).'),
      recipients_per_message: key(z.number().int().min(1).max(1000), 50, 'Recipients in one transaction to one destination; more go in further transactions (Postfix\'s default_destination_recipient_limit).'),
      connect_timeout: keyInput(duration, '30s', 'How long to wait for a TCP connection to a remote host.'),
      greeting_timeout: keyInput(duration, '5m', 'How long to wait for a remote host\'s greeting (RFC 5321 section 4.5.3.2).'),
      reply_timeout: keyInput(duration, '10m', 'How long to wait for any reply, the one after the end of the message included (RFC 5321 gives 10 minutes for that one).'),
      poison_after: key(z.number().int().min(1).max(100), 3, 'A message whose delivery fails this many times in a row inside Petrel (not a remote reply) is held with its error, so the queue keeps flowing.'),
      restart_spread: keyInput(duration, '5m', 'At start, deferred messages whose retry time passed while Petrel was down are spread over this long instead of all going at once.'),
      mta_sts: key(z.boolean(), true, 'Honour the MTA-STS policies of destination domains (RFC 8461): in enforce mode, only to the listed MX hosts, only over TLS with a valid certificate.'),
      dane: key(z.boolean(), true, 'Honour DANE TLSA records (RFC 7672) for MX hosts reached through DNSSEC-validated answers. Needs a validating resolver in [dns] resolvers; without one it never applies.'),
      relay: section('A smarthost: send all outbound mail through one relay host instead of to the MX hosts (when port 25 is blocked).', {
        host: key(z.union([z.literal(''), hostname]), '', 'The relay host; empty means deliver to each domain\'s MX hosts.'),
        port: key(z.number().int().min(1).max(65535), 587, 'Its port: 587 (STARTTLS) or 465 (implicit TLS, with security = "tls").'),
        security: key(z.enum(['starttls', 'tls']), 'starttls', 'STARTTLS on a plain connection, or TLS from the first byte (port 465). TLS is always required and the certificate verified.'),
        username: key(z.string(), '', 'The user name for SMTP AUTH; empty sends no AUTH.'),
        password: key(z.string(), '', 'The password for SMTP AUTH; write "${RELAY_PASSWORD}" to take it from the environment.'),
        ca_file: key(z.string(), '', 'A PEM file of extra CA certificates to trust for the relay (a private CA); empty means the system\'s.'),
      }),
      route: key(
        z.array(
          z.object({
            domain: z.string().regex(/^\.?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/, 'must be a domain, or ".example.net" for its subdomains'),
            host: hostname.or(z.string().regex(/^[0-9a-fA-F:.]+$/)).optional(),
            port: z.number().int().min(1).max(65535).default(25),
            mx: z.boolean().default(false),
            tls: z.enum(['opportunistic', 'required', 'none']).default('opportunistic'),
            concurrency: z.number().int().min(1).max(1000).optional(),
            rate: z.number().int().min(0).optional(),
          }).strict(),
        ),
        [],
        'Per-domain routes, like Postfix\'s transport maps: [[outbound.route]] domain = "example.net", host = "10.0.0.5", port = 25, mx = false (connect to host itself; true looks up host\'s MX), tls = "opportunistic" | "required" (verified against host) | "none", and optionally concurrency and rate (messages a minute) for that destination. Without host, the domain keeps its own MX hosts (and MTA-STS, DANE) with just those limits. A domain starting with "." matches its subdomains. Routes win over the relay.',
      ),
    }),

    storage: section('Where and how messages are stored.', {
      fsync: key(z.boolean(), true, 'fsync message files and the database before acknowledging. Turning this off risks losing acknowledged mail on a power cut; only for throwaway test instances.'),
      gc_interval: keyInput(duration, '10s', 'How often a slice of 500 message files is checked for ones nothing uses any more (expunged everywhere, delivered out of the queue), which are removed with their rows.'),
      gc_grace: keyInput(duration, '1h', 'Message files stored more recently than this are not checked yet.'),
    }),

    shutdown: section('Stopping.', {
      grace: keyInput(duration, '30s', 'On SIGTERM, how long transactions in flight may take to finish before the process exits anyway.'),
    }),
  })
  .strict();

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
