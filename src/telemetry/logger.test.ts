import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from './logger.js';

describe('logger', () => {
  const lines: string[] = [];
  const log = createLogger({ module: 'smtp[mx]', write: (l) => lines.push(l), now: () => new Date(0) });

  it('writes one line per event with the bound session and queue ids first', () => {
    log.child({ session: 'S1' }).child({ queue: 'Q1' }).info('delivered', { to: '<a@example.com>', status: 'delivered', skipped: undefined });
    assert.equal(lines.pop(), '1970-01-01T00:00:00.000Z info smtp[mx] session=S1 queue=Q1 delivered to=<a@example.com> status=delivered');
  });

  it('escapes control characters so a peer cannot forge log lines (log injection)', () => {
    log.info('reject RCPT', { to: '<x>\r\n1970-01-01T00:00:00.000Z info smtp[mx] delivered to=<victim>' });
    const line = lines.pop()!;
    assert.equal(line.includes('\n'), false);
    assert.match(line, /to="<x>\\x0d\\x0a1970/);
  });

  it('honours the level', () => {
    const quiet = createLogger({ level: 'warn', write: (l) => lines.push(l) });
    quiet.info('hidden');
    quiet.warn('shown');
    assert.equal(lines.length, 1);
    assert.match(lines.pop()!, / warn petrel shown$/);
  });
});
