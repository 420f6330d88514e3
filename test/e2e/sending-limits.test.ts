/*
 * Per-user sending limits on submission, with swaks as the client: past
 * `[smtp] user_messages_per_hour` MAIL answers 450 4.7.1, past
 * `user_recipients_per_hour` RCPT does; another user is unaffected, and the
 * limits count across the 587 and 465 listeners.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PetrelProcess } from '../support/petrel.js';
import { requireTools, swaks } from '../support/tools.js';

let p: PetrelProcess;

before(async () => {
  p = await PetrelProcess.create({ smtp: 'user_messages_per_hour = 3\nuser_recipients_per_hour = 4' });
  await p.start();
  await p.addDomain('example.com');
  for (const user of ['ann', 'bob', 'carol', 'dave']) await p.addUser(`${user}@example.com`, `${user}-pw`);
});
after(() => p?.stop());

function send(user: string, to: string[], port: 'submission' | 'submissions' = 'submission') {
  return swaks([
    '--server', `127.0.0.1:${p.ports[port]}`, ...(port === 'submission' ? ['-tls'] : ['-tlsc']), '--auth', 'PLAIN', '--auth-user', `${user}@example.com`, '--auth-password', `${user}-pw`,
    '--from', `${user}@example.com`, '--to', to.join(','), '--data', `From: ${user}@example.com\r\nSubject: limits\r\n\r\nhello\r\n`,
  ]);
}

describe('per-user sending limits', () => {
  it('refuses RCPT with 450 4.7.1 past the recipients, then MAIL past the messages, for that user only', async (t) => {
    if (!requireTools(t, 'swaks')) return;
    const first = await send('ann', ['bob@example.com', 'carol@example.com']);
    assert.equal(first.code, 0, first.stdout);
    const second = await send('ann', ['bob@example.com', 'carol@example.com', 'dave@example.com'], 'submissions');
    assert.match(second.stdout, /<~\* 450 4\.7\.1 <dave@example\.com>: Recipient rate limit exceeded/, 'the fifth recipient in the hour, over 465');
    assert.match(second.stdout, /<~ +250 2\.0\.0 Ok: queued as/, 'the message goes to the recipients accepted before');
    const third = await send('ann', ['bob@example.com']);
    assert.match(third.stdout, /<~\* 450 4\.7\.1 <bob@example\.com>: Recipient rate limit exceeded/);
    const other = await send('bob', ['ann@example.com']);
    assert.equal(other.code, 0, other.stdout);
  });

  it('refuses MAIL with 450 4.7.1 once the messages of the hour are used', async (t) => {
    if (!requireTools(t, 'swaks')) return;
    for (let i = 0; i < 3; i++) assert.equal((await send('carol', ['dave@example.com'])).code, 0);
    const over = await send('carol', ['dave@example.com']);
    assert.match(over.stdout, /<~\*? +450 4\.7\.1 Message rate limit exceeded for this user/);
    assert.notEqual(over.code, 0);
  });
});
