/*
 * A minimal raw SMTP/LMTP client for tests that need byte-exact control
 * (partial DATA, kill during a transaction, several replies after DATA).
 * Not a general client: swaks and nodemailer are used where they do the job.
 *
 * Security: test only.
 */
import { connect, type Socket } from 'node:net';

export interface Reply {
  code: number;
  lines: string[];
  text: string;
}

export class RawSmtp {
  private buffer = '';
  private waiting: (() => void) | undefined;
  closed = false;

  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffer += d.toString('latin1');
      this.waiting?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
    socket.on('error', () => {});
  }

  static async open(port: number, host = '127.0.0.1'): Promise<RawSmtp> {
    const socket = connect(port, host);
    await new Promise<void>((res, rej) => {
      socket.once('connect', res);
      socket.once('error', rej);
    });
    return new RawSmtp(socket);
  }

  /** Reads one (possibly multi-line) reply. */
  async reply(timeoutMs = 10_000): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.buffer.split('\r\n');
      for (let i = 0; i < lines.length - 1; i++) {
        const m = /^(\d{3})([ -])(.*)$/.exec(lines[i]!);
        if (m && m[2] === ' ') {
          const taken = lines.slice(0, i + 1);
          this.buffer = lines.slice(i + 1).join('\r\n');
          return { code: Number(m[1]), lines: taken, text: taken.join('\n') };
        }
      }
      if (this.closed) throw new Error(`connection closed; unread: ${JSON.stringify(this.buffer)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms; unread: ${JSON.stringify(this.buffer)}`);
      await new Promise<void>((res) => {
        const timer = setTimeout(res, left);
        this.waiting = () => {
          clearTimeout(timer);
          this.waiting = undefined;
          res();
        };
      });
    }
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  async command(line: string): Promise<Reply> {
    this.write(line + '\r\n');
    return this.reply();
  }

  /** EHLO/LHLO, MAIL, RCPTs, DATA and the message; returns the replies after the final dot. */
  async send(options: { from: string; to: string[]; message: string | Buffer; lmtp?: boolean; greet?: boolean }): Promise<Reply[]> {
    if (options.greet !== false) {
      await this.reply();
      const hello = await this.command(`${options.lmtp ? 'LHLO' : 'EHLO'} client.test`);
      if (hello.code !== 250) throw new Error(hello.text);
    }
    const mail = await this.command(`MAIL FROM:<${options.from}>`);
    if (mail.code !== 250) return [mail];
    let accepted = 0;
    for (const to of options.to) if ((await this.command(`RCPT TO:<${to}>`)).code === 250) accepted++;
    if (accepted === 0) return [];
    const data = await this.command('DATA');
    if (data.code !== 354) return [data];
    this.write(options.message);
    this.write('\r\n.\r\n');
    const replies: Reply[] = [];
    for (let i = 0; i < (options.lmtp ? accepted : 1); i++) replies.push(await this.reply(30_000));
    return replies;
  }

  close(): void {
    this.socket.destroy();
  }
}

export function message(headers: Record<string, string>, body: string): string {
  return Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n') + '\r\n\r\n' + body;
}
