/*
 * The test harness itself: a listener port taken between allocation and
 * start (by any other test file's socket) does not fail the start; the
 * listeners move to new ports and the process starts.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { it } from 'node:test';
import { PetrelProcess } from '../support/petrel.js';

it('moves its listeners to new ports when one was taken before the start', async () => {
  const p = await PetrelProcess.create();
  const squatter = createServer();
  squatter.listen(p.ports.imap, '127.0.0.1');
  await once(squatter, 'listening');
  const taken = p.ports.imap;
  try {
    await p.start();
    assert.notEqual(p.ports.imap, taken);
    assert.match(p.log, new RegExp(`role=imap address=127.0.0.1:${p.ports.imap}`));
  } finally {
    squatter.close();
    await p.destroy();
  }
});
