/*
 * Scripted receiving-MX peers for outbound-delivery tests: each
 * startSmtpPeer() runs test/support/smtp-peer.py (aiosmtpd on Debian's
 * /usr/bin/python3) on one loopback address with a JSON script saying how
 * it greets, what EHLO advertises and how each stage answers, with
 * counters ("the first 2 transactions get 451 at end of data"), silence,
 * dropped connections, delays and broken STARTTLS. Several peers on
 * 127.0.0.21, 127.0.0.22... and the same port play several MX hosts.
 *
 * What the peer saw is read back as transactions (envelope with
 * parameters verbatim, each reply given, the message bytes after
 * dot-unstuffing, TLS and SNI) and as a transcript per connection, whose
 * `repliesBefore` on each command line shows what was pipelined.
 *
 * Exports: startSmtpPeer, smtpPeerUnavailable, requireSmtpPeer, types
 * PeerScript, PeerStep, PeerSteps, PeerStage, PeerExtensions, SmtpPeer,
 * Transaction, TranscriptEntry.
 *
 * Security: test only. The peer refuses non-loopback addresses; its files
 * live in a temporary directory removed by stop().
 * Standards: see the header of smtp-peer.py.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestContext } from 'node:test';

/** Debian's Python, which has python3-aiosmtpd (the first python3 on PATH may not). */
export const PEER_PYTHON = '/usr/bin/python3';
const PEER_SCRIPT = join(import.meta.dirname, 'smtp-peer.py');
const START_TIMEOUT_MS = 10_000;

/**
 * One scripted behaviour. Without `reply` the stage's normal reply is
 * given; `delayMs` comes first; `action` silent never answers (the
 * connection stays open), drop closes it without a reply; `then` acts
 * after the reply (close the connection, or hang: stay open, answer
 * nothing more). A 421 reply always closes the connection afterwards.
 * Lines of a multi-line reply are separated by "\n" and written as given
 * ("250-first\n250 last"), each ending in CRLF on the wire.
 */
export interface PeerStep {
  reply?: string;
  action?: 'reply' | 'silent' | 'drop';
  delayMs?: number;
  then?: 'close' | 'hang';
  /** How many uses this step lasts (forever without it); then the next step, and after the last one the normal behaviour. */
  times?: number;
}

export type PeerSteps = PeerStep | PeerStep[];

/**
 * The stages a script can change; counters run per peer across all its
 * connections (a retry on a new connection sees the next step).
 *   greeting  normal "220 <hostname> ESMTP ..."; a 554 greeting is followed
 *             by 503 to everything but QUIT (RFC 5321 3.1), a 421 by a close
 *   ehlo      normal: the extension list; a reply replaces it (502, 550,
 *             or a bare "250 name" without extensions)
 *   starttls  normal 220 then the handshake; with `then` the 220 is followed
 *             by a close or by silence instead; another code refuses
 *   mail, rcpt, data   normal 250 2.1.0, 250 2.1.5, 354
 *   dataEnd   the reply after the final dot, normal "250 2.0.0 Ok: queued as P<seq>"
 */
export type PeerStage = 'greeting' | 'ehlo' | 'starttls' | 'mail' | 'rcpt' | 'data' | 'dataEnd';

export interface PeerExtensions {
  /** SIZE n, enforced: MAIL SIZE= over n and a message over n get 552. */
  size?: number;
  '8bitmime'?: boolean;
  smtputf8?: boolean;
  pipelining?: boolean;
  /** RET/ENVID on MAIL and NOTIFY/ORCPT on RCPT accepted and recorded, nothing else done. */
  dsn?: boolean;
  /** Offered once TLS is on; 'always' offers it in plaintext too. REQUIRETLS on MAIL is recorded. */
  requiretls?: boolean | 'always';
  enhancedstatuscodes?: boolean;
  /** Further EHLO lines, advertised only ("CHUNKING", "AUTH PLAIN"). */
  extra?: string[];
}

export interface PeerScript {
  /** A loopback address (127.0.0.0/8); 127.0.0.1 by default. */
  host?: string;
  /** 0 or absent: the kernel picks one (read it from SmtpPeer.port). */
  port?: number;
  /** Name in the greeting and the first EHLO line; mx.peer.test by default. */
  hostname?: string;
  /** Nothing is advertised unless listed here (STARTTLS comes with `starttls`). */
  extensions?: PeerExtensions;
  /** Offer STARTTLS with this PEM pair (certificate chain, key), e.g. from certs.ts writePemPair. */
  starttls?: { cert: string; key: string };
  /** 530 to MAIL and the rest until STARTTLS. */
  requireTls?: boolean;
  replies?: Partial<Record<PeerStage, PeerSteps>>;
  /** Steps for RCPT to these addresses (case-insensitive), counted per address; others use replies.rcpt. */
  rcptReplies?: Record<string, PeerSteps>;
  /** RCPT past this many accepted recipients in a transaction gets 452 4.5.3. */
  maxRecipients?: number;
  /**
   * Accept any MAIL/RCPT parameter. By default, as real servers do, a
   * parameter of an extension not advertised gets 555 5.5.4, and a
   * non-ASCII address without SMTPUTF8 gets 553 5.6.7.
   */
  lenientParameters?: boolean;
  /** The peer closes a connection idle this long (aiosmtpd's timeout); 300 s by default. */
  idleTimeoutMs?: number;
}

export type PeerReply = string | 'silent' | 'dropped';

export interface Transaction {
  /** Order on this peer, from 1. */
  seq: number;
  /** Connection number on this peer, from 1. */
  connection: number;
  startedAt: string;
  endedAt: string;
  /** TLS in force when MAIL came, with the SNI name the client sent (null if none). */
  tls: { version: string | null; cipher: string | null; sni: string | null } | null;
  helo: { verb: 'EHLO' | 'HELO'; name: string } | null;
  /** The address inside <> ("" for the null reverse-path) and the parameters exactly as sent. */
  mail: { address: string; params: string[]; reply: PeerReply };
  rcpts: { address: string; params: string[]; reply: PeerReply }[];
  /** Reply to DATA (354 when the message was read), null if no DATA came. */
  dataReply: PeerReply | null;
  /** The message as received after dot-unstuffing (CRLF kept), null if none was read. */
  message: Buffer | null;
  /** Reply after the final dot: the text, 'silent', 'dropped', or null when the connection closed first. */
  reply: PeerReply | null;
  ended: 'data' | 'rset' | 'quit' | 'helo' | 'starttls' | 'mail-refused' | 'data-refused' | 'silent' | 'dropped' | 'closed';
}

interface TranscriptBase {
  conn: number;
  /** Milliseconds since the epoch. */
  t: number;
  /** Whether TLS was on for this line. */
  tls: boolean;
}

/**
 * C: a command line as it arrived (message content appears only as the
 * final "." with its size); `repliesBefore` counts the replies already
 * sent, so commands pipelined in one group share it. S: a reply line as
 * sent. *: connect, tls, tls-failed, silent, dropped, close-after-reply,
 * hang, closed.
 */
export type TranscriptEntry =
  | (TranscriptBase & { dir: 'C'; line: string; repliesBefore: number; dataOctets?: number; bareLf?: true; unterminated?: true })
  | (TranscriptBase & { dir: 'S'; line: string })
  | (TranscriptBase & { dir: '*'; event: string; [detail: string]: unknown });

export interface SmtpPeer {
  host: string;
  port: number;
  /** Finished transactions so far, in order. */
  transactions(): Promise<Transaction[]>;
  /** Connections accepted so far. */
  connections(): number;
  /** Connections closed so far (by either side). */
  closedConnections(): number;
  /** Resolves with the transactions once at least n are finished. */
  waitFor(n: number, timeoutMs?: number): Promise<Transaction[]>;
  waitForConnections(n: number, timeoutMs?: number): Promise<void>;
  waitForClosed(n: number, timeoutMs?: number): Promise<void>;
  /** The transcript, of one connection or of all. */
  transcript(conn?: number): Promise<TranscriptEntry[]>;
  /** The peer's stderr so far. */
  stderr(): string;
  /** Stops the peer and removes its files. Safe to call twice. */
  stop(): Promise<void>;
}

let unavailable: string | undefined | null = null;

/** Why the peer cannot run here, or undefined when it can. */
export function smtpPeerUnavailable(): string | undefined {
  if (unavailable === null) {
    try {
      execFileSync(PEER_PYTHON, ['-c', 'import aiosmtpd.smtp'], { stdio: 'ignore' });
      unavailable = undefined;
    } catch {
      unavailable = `${PEER_PYTHON} cannot import aiosmtpd (python3-aiosmtpd): run scripts/install-test-deps.sh`;
    }
  }
  return unavailable;
}

/** True when the peer can run; otherwise skips (or, under PETREL_REQUIRE_INTEROP=1, fails) the test. */
export function requireSmtpPeer(t: TestContext): boolean {
  const why = smtpPeerUnavailable();
  if (why === undefined) return true;
  if (process.env.PETREL_REQUIRE_INTEROP === '1') throw new Error(why);
  t.skip(why);
  return false;
}

function readJsonLines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  // A line still being written has no newline yet: leave it for next time.
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  return complete.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as T);
}

async function until(what: () => boolean, describe: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!what()) {
    if (Date.now() > deadline) throw new Error(describe());
    await sleep(20);
  }
}

/** Starts a peer and resolves once it listens; rejects with its stderr if it does not start. */
export async function startSmtpPeer(script: PeerScript = {}): Promise<SmtpPeer> {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-smtp-peer-'));
  const scriptFile = join(dir, 'script.json');
  writeFileSync(scriptFile, JSON.stringify(script, null, 2));
  const child = spawn(PEER_PYTHON, ['-u', PEER_SCRIPT, '--script', scriptFile, '--record', dir], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  let connections = 0;
  let closed = 0;
  let finished = 0;
  let ready: { host: string; port: number } | undefined;
  let exit: string | undefined;
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    let nl: number;
    while ((nl = stdout.indexOf('\n')) >= 0) {
      const line = stdout.slice(0, nl);
      stdout = stdout.slice(nl + 1);
      let event: { event?: string; host?: string; port?: number };
      try {
        event = JSON.parse(line) as typeof event;
      } catch {
        stderr += `(stdout) ${line}\n`;
        continue;
      }
      if (event.event === 'ready') ready = { host: event.host!, port: event.port! };
      else if (event.event === 'connect') connections++;
      else if (event.event === 'closed') closed++;
      else if (event.event === 'transaction') finished++;
    }
  });
  child.on('error', (err) => (exit = `cannot run ${PEER_PYTHON}: ${err.message}`));
  child.on('exit', (code, signal) => (exit ??= `exited with ${code ?? signal}`));
  child.stdin!.on('error', () => {});

  const failure = () => `SMTP peer on ${script.host ?? '127.0.0.1'}:${script.port ?? 0} ${exit ?? 'did not start'}:\n${stderr}`;
  try {
    await until(() => ready !== undefined || exit !== undefined, failure, START_TIMEOUT_MS);
    if (!ready) throw new Error(failure());
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const transactions = async (): Promise<Transaction[]> =>
    readJsonLines<Omit<Transaction, 'message'> & { message: string | null }>(join(dir, 'transactions.jsonl')).map((t) => ({
      ...t,
      message: t.message === null ? null : Buffer.from(t.message, 'base64'),
    }));
  const transcript = async (conn?: number): Promise<TranscriptEntry[]> =>
    readJsonLines<TranscriptEntry>(join(dir, 'transcript.jsonl')).filter((e) => conn === undefined || e.conn === conn);
  const stateOf = (what: string) => async () => `${what}; transcript:\n${(await transcript()).map((e) => JSON.stringify(e)).join('\n').slice(-4000)}\n${stderr}`;
  const waitCount = async (count: () => number, n: number, what: string, timeoutMs: number) => {
    const describe = stateOf(`timed out after ${timeoutMs} ms waiting for ${n} ${what} (have ${count()})`);
    try {
      await until(() => count() >= n || exit !== undefined, () => '', timeoutMs);
    } catch {
      throw new Error(await describe());
    }
    if (count() < n) throw new Error(await stateOf(`SMTP peer ${exit} while waiting for ${n} ${what}`)());
  };

  const { host, port } = ready;
  let stopped: Promise<void> | undefined;
  return {
    host,
    port,
    transactions,
    transcript,
    connections: () => connections,
    closedConnections: () => closed,
    async waitFor(n, timeoutMs = 10_000) {
      await waitCount(() => finished, n, 'transactions', timeoutMs);
      return transactions();
    },
    waitForConnections: (n, timeoutMs = 10_000) => waitCount(() => connections, n, 'connections', timeoutMs),
    waitForClosed: (n, timeoutMs = 10_000) => waitCount(() => closed, n, 'closed connections', timeoutMs),
    stderr: () => stderr,
    stop() {
      stopped ??= (async () => {
        if (exit === undefined) {
          const exited = new Promise<void>((res) => child.once('exit', () => res()));
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 3_000);
          await exited;
          clearTimeout(killer);
        }
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}
