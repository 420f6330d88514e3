/*
 * Per-user sending limits over a fake clock: messages and recipients in
 * any 60 minutes, per user, 0 as no limit, the window sliding, the limits
 * read again at every check (a reload applies at once).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { HOUR_MS, SendingLimits } from './sending-limits.js';

it('counts messages and recipients per user over a sliding hour', () => {
  let now = 1_000_000;
  const limits = { messages: 2, recipients: 3 };
  const s = new SendingLimits(() => limits, () => now);
  assert.ok(s.mayStartMessage(1));
  assert.ok(s.mayAddRecipient(1, 2), 'two accepted in this message, a third is still allowed');
  assert.ok(!s.mayAddRecipient(1, 3));
  s.record(1, 1);
  now += 10 * 60_000;
  s.record(1, 2);
  assert.deepEqual(s.usage(1), { messages: 2, recipients: 3 });
  assert.ok(!s.mayStartMessage(1), 'two messages in the hour');
  assert.ok(!s.mayAddRecipient(1, 0), 'three recipients in the hour');
  assert.ok(s.mayStartMessage(2) && s.mayAddRecipient(2, 0), 'another user is not affected');
  now += HOUR_MS - 10 * 60_000;
  assert.deepEqual(s.usage(1), { messages: 1, recipients: 2 }, 'the first message left the window');
  assert.ok(s.mayStartMessage(1));
  now += 10 * 60_000;
  assert.deepEqual(s.usage(1), { messages: 0, recipients: 0 });
  limits.messages = 0;
  limits.recipients = 0;
  for (let i = 0; i < 5; i++) s.record(1, 100);
  assert.ok(s.mayStartMessage(1) && s.mayAddRecipient(1, 1000), '0 is no limit, read at every check');
});
