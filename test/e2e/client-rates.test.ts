/*
 * Per-client rate limits on the MX, with swaks as the client from
 * 127.0.0.2 (loopback taken out of trusted_networks for the test):
 * past client_recipient_rate RCPT answers 450 4.7.1, past
 * client_message_rate MAIL does, past client_connection_rate the
 * connection gets 421 4.7.0; another client address (127.0.0.3) is
 * unaffected, and a client inside trusted_networks is never counted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PetrelProcess } from '../support/petrel.js';
import { requireTools, swaks } from '../support/tools.js';

let limited: PetrelProcess;
let trusted: PetrelProcess;

const LIMITS = 'greeting_delay = 0\nclient_connection_rate = 3\nclient_message_rate = 2\nclient_recipient_rate = 4';

before(async () => {
  limited = await PetrelProcess.create({ smtp: `trusted_networks = []\n${LIMITS}` });
  trusted = await PetrelProcess.create({ smtp: `trusted_networks = ["127.0.0.0/8"]\n${LIMITS}` });
  for (const p of [limited, trusted]) {
    await p.start();
    await p.addDomain('example.com');
    await p.addUser('ann@example.com', 'ann-pw');
  }
});
after(async () => {
  await limited?.stop();
  await trusted?.stop();
});

const send = (p: PetrelProcess, from: string, to: string[]) =>
  swaks(['--server', `127.0.0.1:${p.ports.mx}`, '--local-interface', from, '--from', 'someone@elsewhere.example', '--to', to.join(','), '--data', 'Subject: rates\r\n\r\nhello\r\n']);

describe('per-client rate limits on the MX', () => {
  it('answers 450 4.7.1 past the recipients and the messages of a minute, then 421 past the connections; another client is unaffected', async (t) => {
    if (!requireTools(t, 'swaks')) return;
    const first = await send(limited, '127.0.0.2', ['ann@example.com', 'ann@example.com', 'ann@example.com']);
    assert.match(first.stdout, /<- {2}250 2\.0\.0 Ok: queued as/, first.stdout);
    const second = await send(limited, '127.0.0.2', ['ann@example.com', 'ann@example.com']);
    assert.match(second.stdout, /<\*\* 450 4\.7\.1 <ann@example\.com>: Recipient rate limit exceeded for your address/, 'the fifth recipient of the minute');
    assert.match(second.stdout, /<- {2}250 2\.0\.0 Ok: queued as/, 'the recipient accepted before gets it');
    const third = await send(limited, '127.0.0.2', ['ann@example.com']);
    assert.match(third.stdout, /<\*\* 450 4\.7\.1 Message rate limit exceeded for your address/, 'the third message of the minute');
    const fourth = await send(limited, '127.0.0.2', ['ann@example.com']);
    assert.match(fourth.stdout, /421 4\.7\.0 .*Too many connections from your address per minute/, 'the fourth connection');
    const other = await send(limited, '127.0.0.3', ['ann@example.com']);
    assert.match(other.stdout, /<- {2}250 2\.0\.0 Ok: queued as/, 'another address has its own counts');
  });

  it('never counts a client in trusted_networks', async (t) => {
    if (!requireTools(t, 'swaks')) return;
    for (let i = 0; i < 6; i++) {
      const r = await send(trusted, '127.0.0.2', ['ann@example.com', 'ann@example.com']);
      assert.match(r.stdout, /<- {2}250 2\.0\.0 Ok: queued as/, `message ${i + 1}`);
    }
  });
});
