/*
 * A scripted SMTP server in-process, for wire-level tests of Petrel's
 * outbound client: it records every line the client sends and the message
 * bytes exactly as they crossed the wire (still dot-stuffed), and answers
 * from a handler the test writes. STARTTLS upgrades with a test
 * certificate; `afterStarttls` lets a test inject plaintext right after
 * the 220 (the STARTTLS injection attack).
 *
 * Exports: startScriptedSmtp, ScriptedSmtp, ScriptedSession, Handler.
 * Security: test only; listens on 127.0.0.1.
 */
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

export interface ScriptedSession {
  /** Lines received, in order, without CRLF (the data section excluded). */
  lines: string[];
  /** Raw data sections received (dot-stuffed, up to and including CRLF.CRLF). */
  data: Buffer[];
  tls: boolean;
  /** The SNI name the client sent. */
  servername: string | undefined;
  /** The user who authenticated. */
  authUser?: string;
}

/** The reply to a command line, or 'silent' (say nothing), or 'drop' (close). */
export type Handler = (line: string, session: ScriptedSession) => string | 'silent' | 'drop' | undefined;

export interface ScriptedOptions {
  greeting?: string | 'silent';
  ehlo?: string[];
  /** Command handler; undefined falls back to the defaults (250 to everything, 354 to DATA). */
  handler?: Handler;
  /** The reply after the final dot, or 'silent' / 'drop'. */
  afterData?: (session: ScriptedSession) => string | 'silent' | 'drop';
  tls?: { key: string; cert: string };
  /** Bytes written in plaintext right after the 220 to STARTTLS, before the handshake. */
  afterStarttls?: string;
  /** TLS from the first byte (port 465), with options.tls. */
  implicitTls?: boolean;
  /** AUTH PLAIN and LOGIN offered after TLS, with these credentials; MAIL before AUTH is refused. */
  auth?: { user: string; pass: string };
  host?: string;
  /** A fixed port (several hosts on one port, as MX hosts are); 0 or absent picks a free one. */
  port?: number;
}

export interface ScriptedSmtp {
  port: number;
  host: string;
  sessions: ScriptedSession[];
  /** Connections open now, and the most ever open at once. */
  readonly open: number;
  readonly maxOpen: number;
  /** The most transactions (MAIL to the reply after the data) ever in progress at once, over all connections. */
  readonly maxTransactions: number;
  close(): Promise<void>;
}

const DEFAULT_EHLO = ['PIPELINING', 'SIZE 10240000', '8BITMIME', 'SMTPUTF8', 'DSN', 'ENHANCEDSTATUSCODES'];

export async function startScriptedSmtp(options: ScriptedOptions = {}): Promise<ScriptedSmtp> {
  const sessions: ScriptedSession[] = [];
  const sockets = new Set<Socket>();
  let maxOpen = 0;
  let inTransaction = 0;
  let maxTransactions = 0;
  const server: Server = createServer((raw) => {
    sockets.add(raw);
    // Replies are small separate writes: without this, Nagle holds each one back until the last is acknowledged.
    raw.setNoDelay(true);
    maxOpen = Math.max(maxOpen, sockets.size);
    raw.on('close', () => sockets.delete(raw));
    raw.on('error', () => {});
    const session: ScriptedSession = { lines: [], data: [], tls: false, servername: undefined };
    sessions.push(session);
    let socket: Socket = raw;
    let loginUser: string | undefined;
    let buffer = Buffer.alloc(0);
    let inData = false;
    // Recipients accepted in the current transaction: DATA without one is refused, as real servers do.
    let accepted = 0;
    let transaction = false;
    const endTransaction = () => {
      if (transaction) inTransaction--;
      transaction = false;
    };
    raw.on('close', endTransaction);
    const write = (text: string) => socket.write(`${text}\r\n`);
    const ehloLines = () => {
      const ext = [...(options.ehlo ?? DEFAULT_EHLO)];
      if (options.tls && !session.tls) ext.push('STARTTLS');
      if (options.auth && session.tls) ext.push('AUTH PLAIN LOGIN');
      return ['250-scripted.test', ...ext.slice(0, -1).map((e) => `250-${e}`), `250 ${ext[ext.length - 1]}`].join('\r\n');
    };
    const answer = (reply: string | 'silent' | 'drop' | undefined) => {
      if (reply === 'silent' || reply === undefined) return;
      if (/^2/.test(reply) && /^RCPT/i.test(session.lines[session.lines.length - 1] ?? '')) accepted++;
      if (reply === 'drop') socket.destroy();
      else write(reply);
    };
    const onLine = (line: string) => {
      session.lines.push(line);
      if (/^(MAIL|RSET)/i.test(line)) accepted = 0;
      if (/^MAIL/i.test(line) && !transaction) {
        transaction = true;
        maxTransactions = Math.max(maxTransactions, ++inTransaction);
      }
      if (/^(RSET|QUIT)/i.test(line)) endTransaction();
      const custom = options.handler?.(line, session);
      if (custom !== undefined) {
        if (/^DATA$/i.test(line) && /^354/.test(custom)) inData = true;
        return answer(custom);
      }
      const verb = line.split(' ')[0]!.toUpperCase();
      if (verb === 'EHLO') return write(ehloLines());
      if (loginUser !== undefined) {
        // AUTH LOGIN: the user, then the password, each base64 on its own line.
        if (loginUser === '') {
          loginUser = Buffer.from(line, 'base64').toString();
          return write('334 UGFzc3dvcmQ6');
        }
        const user = loginUser;
        loginUser = undefined;
        const ok = options.auth && user === options.auth.user && Buffer.from(line, 'base64').toString() === options.auth.pass;
        if (ok) session.authUser = user;
        return write(ok ? '235 2.7.0 Authentication successful' : '535 5.7.8 Authentication failed');
      }
      if (verb === 'AUTH' && options.auth) {
        const [, mechanism, initial] = line.split(' ');
        if (/^LOGIN$/i.test(mechanism ?? '')) {
          loginUser = '';
          return write('334 VXNlcm5hbWU6');
        }
        const [, user, pass] = Buffer.from(initial ?? '', 'base64').toString().split('\0');
        const ok = user === options.auth.user && pass === options.auth.pass;
        if (ok) session.authUser = user;
        return write(ok ? '235 2.7.0 Authentication successful' : '535 5.7.8 Authentication failed');
      }
      if (verb === 'MAIL' && options.auth && !session.authUser) return write('530 5.7.0 Authentication required');
      if (verb === 'STARTTLS' && options.tls && !session.tls) {
        socket.removeListener('data', onData);
        write(`220 2.0.0 Ready to start TLS${options.afterStarttls ? `\r\n${options.afterStarttls}` : ''}`);
        const secure = new TLSSocket(socket, {
          isServer: true,
          key: options.tls.key,
          cert: options.tls.cert,
          SNICallback: (name, cb) => {
            session.servername = name;
            cb(null, undefined);
          },
        });
        secure.on('error', () => {});
        secure.once('secure', () => {
          session.tls = true;
        });
        socket = secure;
        buffer = Buffer.alloc(0);
        secure.on('data', onData);
        return;
      }
      if (verb === 'STARTTLS') return write('502 5.5.1 STARTTLS not offered');
      if (verb === 'DATA') {
        if (accepted === 0) return write('554 5.5.1 Error: no valid recipients');
        inData = true;
        return write('354 go ahead');
      }
      if (verb === 'QUIT') {
        write('221 2.0.0 bye');
        return socket.end();
      }
      return answer('250 2.0.0 ok');
    };
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (inData) {
          // The data ends at CRLF . CRLF, or at once when it is empty.
          const empty = buffer.subarray(0, 3).toString('latin1') === '.\r\n';
          const end = empty ? -2 : buffer.indexOf('\r\n.\r\n');
          if (end === -1) return;
          session.data.push(buffer.subarray(0, end + 5));
          buffer = buffer.subarray(end + 5);
          inData = false;
          endTransaction();
          answer(options.afterData ? options.afterData(session) : '250 2.0.0 queued as SCRIPTED');
          continue;
        }
        const nl = buffer.indexOf('\r\n');
        if (nl < 0) return;
        const line = buffer.subarray(0, nl).toString('utf8');
        buffer = buffer.subarray(nl + 2);
        onLine(line);
      }
    };
    if (options.implicitTls && options.tls) {
      const secure = new TLSSocket(raw, { isServer: true, key: options.tls.key, cert: options.tls.cert, SNICallback: (name, cb) => ((session.servername = name), cb(null, undefined)) });
      secure.on('error', () => {});
      session.tls = true;
      socket = secure;
      secure.on('data', onData);
    } else raw.on('data', onData);
    if (options.greeting !== 'silent') write(options.greeting ?? '220 scripted.test ESMTP');
  });
  const host = options.host ?? '127.0.0.1';
  server.listen(options.port ?? 0, host);
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    host,
    sessions,
    get open() {
      return sockets.size;
    },
    get maxOpen() {
      return maxOpen;
    },
    get maxTransactions() {
      return maxTransactions;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
