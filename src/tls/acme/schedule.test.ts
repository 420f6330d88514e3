/*
 * The renewal schedule with a fake clock and fake timers: when a
 * certificate is due (renew_before, jitter bounded and drawn once), the
 * back-off after failures, and the scheduler (first run after the start
 * delay, then every interval, never two runs at once, a failing job logged
 * and the schedule kept, stop() waiting for the run in progress, the real
 * timer unref'd).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { run } from '../../../test/support/tools.js';
import { createMemoryLogger } from '../../telemetry/index.js';
import { RENEW_CHECK_INTERVAL_MS, RENEW_FIRST_CHECK_MS, RENEW_JITTER_MAX_MS, RETRY_MAX_MS, RETRY_MIN_MS } from './limits.js';
import { drawJitter, isDue, renewAt, retryDelay, startRenewalScheduler, type Timers } from './schedule.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

describe('when a certificate is due', () => {
  const notAfter = Date.UTC(2030, 0, 31);
  const table: { what: string; now: number; jitter: number; due: boolean }[] = [
    { what: 'long before renew_before', now: notAfter - 60 * DAY, jitter: 0, due: false },
    { what: 'one millisecond before renew_before', now: notAfter - 30 * DAY - 1, jitter: 0, due: false },
    { what: 'exactly renew_before ahead', now: notAfter - 30 * DAY, jitter: 0, due: true },
    { what: 'jitter makes it due earlier...', now: notAfter - 30 * DAY - 5 * HOUR, jitter: 6 * HOUR, due: true },
    { what: '...but not before the jitter', now: notAfter - 30 * DAY - 7 * HOUR, jitter: 6 * HOUR, due: false },
    { what: 'a jitter beyond the maximum counts as the maximum', now: notAfter - 30 * DAY - RENEW_JITTER_MAX_MS - HOUR, jitter: 10 * DAY, due: false },
    { what: 'a negative jitter counts as none (never later than renew_before)', now: notAfter - 30 * DAY, jitter: -5 * DAY, due: true },
    { what: 'expired', now: notAfter + DAY, jitter: 0, due: true },
  ];
  for (const row of table) {
    it(row.what, () => assert.equal(isDue(row.now, notAfter, 30 * DAY, row.jitter), row.due));
  }

  it('renewAt is notAfter - renew_before - jitter', () => {
    assert.equal(renewAt(notAfter, 30 * DAY, 2 * HOUR), notAfter - 30 * DAY - 2 * HOUR);
  });

  it('jitter is drawn in [0, RENEW_JITTER_MAX_MS) and a bad random source gives 0', () => {
    assert.equal(drawJitter(() => 0), 0);
    assert.equal(drawJitter(() => 0.5), RENEW_JITTER_MAX_MS / 2);
    assert.ok(drawJitter(() => 0.999999) < RENEW_JITTER_MAX_MS);
    assert.equal(drawJitter(() => 1), 0);
    assert.equal(drawJitter(() => Number.NaN), 0);
    assert.ok(RENEW_JITTER_MAX_MS >= 2 * HOUR && RENEW_JITTER_MAX_MS <= DAY, 'some hours');
  });

  it('failures back off from an hour, doubling, to a day', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 50].map(retryDelay), [RETRY_MIN_MS, 2 * RETRY_MIN_MS, 4 * RETRY_MIN_MS, 8 * RETRY_MIN_MS, 16 * RETRY_MIN_MS, RETRY_MAX_MS, RETRY_MAX_MS]);
  });
});

/** Timers driven by hand: advance(ms) fires what is due, in order. */
function fakeTimers() {
  let now = 0;
  let seq = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    setTimeout: (fn, ms) => {
      const id = ++seq;
      pending.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (id) => void pending.delete(id as number),
  };
  return {
    timers,
    pending: () => [...pending.values()].map((p) => p.at - now),
    async advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const next = [...pending.entries()].sort((a, b) => a[1].at - b[1].at)[0];
        if (!next || next[1].at > end) break;
        now = next[1].at;
        pending.delete(next[0]);
        next[1].fn();
        await new Promise((resolve) => setImmediate(resolve));
      }
      now = end;
    },
  };
}

describe('the renewal scheduler', () => {
  it('runs after the first delay, then every interval', async () => {
    const t = fakeTimers();
    let runs = 0;
    const s = startRenewalScheduler({ job: async () => runs++, logger: createMemoryLogger(), timers: t.timers });
    assert.deepEqual(t.pending(), [RENEW_FIRST_CHECK_MS]);
    await t.advance(RENEW_FIRST_CHECK_MS - 1);
    assert.equal(runs, 0);
    await t.advance(1);
    assert.equal(runs, 1);
    assert.deepEqual(t.pending(), [RENEW_CHECK_INTERVAL_MS]);
    await t.advance(3 * RENEW_CHECK_INTERVAL_MS);
    assert.equal(runs, 4);
    await s.stop();
    assert.deepEqual(t.pending(), []);
  });

  it('never runs twice at once: runNow during a run waits for it, and the interval restarts after it', async () => {
    const t = fakeTimers();
    let active = 0;
    let most = 0;
    let release!: () => void;
    const job = async () => {
      active++;
      most = Math.max(most, active);
      await new Promise<void>((resolve) => (release = resolve));
      active--;
    };
    const s = startRenewalScheduler({ job, logger: createMemoryLogger(), timers: t.timers, firstDelayMs: 5, intervalMs: 100 });
    await t.advance(5);
    const a = s.runNow();
    const b = s.runNow();
    assert.deepEqual(t.pending(), [], 'no timer while running');
    release();
    await Promise.all([a, b]);
    assert.equal(most, 1);
    assert.deepEqual(t.pending(), [100]);
    await s.stop();
  });

  it('a failing job is logged and the schedule goes on', async () => {
    const t = fakeTimers();
    const logger = createMemoryLogger();
    let runs = 0;
    const s = startRenewalScheduler({ job: async () => { runs++; throw new Error('CA unreachable'); }, logger, timers: t.timers, firstDelayMs: 1, intervalMs: 10 });
    await t.advance(25);
    assert.equal(runs, 3);
    assert.ok(logger.lines.some((l) => l.includes('certificate renewal run failed') && l.includes('CA unreachable')));
    await s.stop();
  });

  it('stop() waits for the run in progress and nothing runs after it', async () => {
    const t = fakeTimers();
    let release!: () => void;
    let runs = 0;
    const s = startRenewalScheduler({ job: () => { runs++; return new Promise<void>((resolve) => (release = resolve)); }, logger: createMemoryLogger(), timers: t.timers, firstDelayMs: 1, intervalMs: 10 });
    await t.advance(1);
    let stopped = false;
    const stopping = s.stop().then(() => (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(stopped, false);
    release();
    await stopping;
    await t.advance(100);
    assert.equal(runs, 1);
    assert.deepEqual(t.pending(), []);
  });

  it('with real timers the timer is unref\'d: a process with only an idle scheduler exits', async () => {
    const code = `import { startRenewalScheduler } from ${JSON.stringify(join(import.meta.dirname, 'schedule.ts'))};
      import { silentLogger } from ${JSON.stringify(join(import.meta.dirname, '..', '..', 'telemetry', 'index.ts'))};
      startRenewalScheduler({ job: async () => {}, logger: silentLogger, firstDelayMs: 60000 });`;
    const started = Date.now();
    const r = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { timeoutMs: 20_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Date.now() - started < 15_000, 'exited without waiting for the timer');
  });
});
