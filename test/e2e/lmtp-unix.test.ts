/*
 * LMTP on a unix socket, the way Postfix's `virtual_transport =
 * lmtp:unix:...` reaches Dovecot: per-recipient replies over the socket,
 * and the socket replaced cleanly at restart.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PetrelProcess } from '../support/petrel.js';
import { message, RawSmtp } from '../support/smtp-client.js';

let p: PetrelProcess;
let socketPath: string;

async function openUnix(): Promise<RawSmtp> {
  const socket = connect(socketPath);
  await new Promise<void>((res, rej) => {
    socket.once('connect', res);
    socket.once('error', rej);
  });
  return new RawSmtp(socket);
}

before(async () => {
  p = await PetrelProcess.create();
  socketPath = join(p.dataDir, 'lmtp.sock');
  p = await PetrelProcess.create({ dataDir: p.dataDir, lmtpListen: [`unix:${socketPath}`] });
  await p.start();
  await p.addDomain('example.com');
  await p.addUser('alice@example.com', 'pw');
});
after(() => p.destroy());

describe('LMTP on a unix socket', () => {
  it('delivers with one reply per recipient', async () => {
    assert.ok(existsSync(socketPath));
    const c = await openUnix();
    const replies = await c.send({ lmtp: true, from: 's@remote.test', to: ['alice@example.com', 'ghost@example.com'], message: message({ Subject: 'unix' }, 'hi') });
    c.close();
    assert.deepEqual(replies.map((r) => r.code), [250]);
    assert.match(p.log, /delivered .*to=<alice@example\.com>/);
  });

  it('takes over a stale socket file after an unclean stop', async () => {
    await p.stop('SIGKILL');
    assert.ok(existsSync(socketPath), 'kill -9 leaves the socket file behind');
    await p.start();
    const c = await openUnix();
    const replies = await c.send({ lmtp: true, from: 's@remote.test', to: ['alice@example.com'], message: message({ Subject: 'again' }, 'hi') });
    c.close();
    assert.equal(replies[0]?.code, 250);
  });
});
