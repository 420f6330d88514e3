/*
 * Terminal input and output for the CLI: printing, and reading a password
 * from standard input (--password-stdin) or from the terminal with echo off.
 *
 * Security: passwords are never echoed, logged or put in argv.
 */
import { createInterface } from 'node:readline';

export interface Io {
  out(line: string): void;
  err(line: string): void;
  readPassword(fromStdin: boolean): Promise<string>;
}

async function firstLine(): Promise<string> {
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    rl.close();
    return line;
  }
  return '';
}

async function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  let value = '';
  try {
    return await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        for (const ch of chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            stdin.off('data', onData);
            resolve(value);
            return;
          }
          if (ch === '\u0003') {
            stdin.off('data', onData);
            reject(new Error('interrupted'));
            return;
          }
          if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
          else value += ch;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}

export const processIo: Io = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
  async readPassword(fromStdin) {
    if (fromStdin || !process.stdin.isTTY) {
      if (!fromStdin) throw new Error('standard input is not a terminal: pass --password-stdin and pipe the password in');
      return firstLine();
    }
    const first = await promptHidden('Password: ');
    const again = await promptHidden('Again: ');
    if (first !== again) throw new Error('the passwords differ');
    return first;
  },
};
