/*
 * When certificates renew, and the timer that makes the server look.
 *
 * A certificate is due at notAfter - renew_before - jitter, where the
 * jitter (0 to RENEW_JITTER_MAX_MS) is drawn once when it is issued and
 * kept in its state file: drawn again at every look, the earliest draw
 * would win and the spread would collapse towards the earliest hour. A
 * failed issuance waits RETRY_MIN_MS, doubling per failure up to
 * RETRY_MAX_MS, before the next try.
 *
 * The scheduler runs a job (the manager's renewDue) a little after start
 * and then every RENEW_CHECK_INTERVAL_MS, one run at a time, on an
 * unref'd timer so it never keeps the process alive; stop() waits for a
 * run in progress.
 *
 * Exports: renewAt, isDue, drawJitter, retryDelay, startRenewalScheduler,
 * RenewalScheduler, Timers.
 *
 * Security: no input from the network; the job's errors are logged, never
 * thrown into the event loop.
 * Standards: none (Let's Encrypt's advice: renew a third of the lifetime
 * early, with jitter).
 */
import type { Logger } from '../../telemetry/index.js';
import { RENEW_CHECK_INTERVAL_MS, RENEW_FIRST_CHECK_MS, RENEW_JITTER_MAX_MS, RETRY_MAX_MS, RETRY_MIN_MS } from './limits.js';

/** When a certificate expiring at notAfter (ms) is due. */
export function renewAt(notAfter: number, renewBeforeMs: number, jitterMs: number): number {
  return notAfter - renewBeforeMs - Math.max(0, Math.min(jitterMs, RENEW_JITTER_MAX_MS));
}

export function isDue(now: number, notAfter: number, renewBeforeMs: number, jitterMs: number): boolean {
  return now >= renewAt(notAfter, renewBeforeMs, jitterMs);
}

/** A jitter in [0, RENEW_JITTER_MAX_MS) from a random number in [0, 1). */
export function drawJitter(random: () => number): number {
  const r = random();
  return Math.floor((r >= 0 && r < 1 ? r : 0) * RENEW_JITTER_MAX_MS);
}

/** The wait after the n-th failure in a row (n >= 1). */
export function retryDelay(failures: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.max(0, Math.min(failures - 1, 30)));
}

/** The timer functions the scheduler uses (injected by tests). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms);
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface RenewalScheduler {
  /** Runs the job now (unless a run is in progress, which is awaited instead) and restarts the interval. */
  runNow(): Promise<void>;
  /** No more runs; resolves when the run in progress, if any, has ended. */
  stop(): Promise<void>;
}

export function startRenewalScheduler(options: {
  job: () => Promise<unknown>;
  logger: Logger;
  firstDelayMs?: number;
  intervalMs?: number;
  timers?: Timers;
}): RenewalScheduler {
  const timers = options.timers ?? realTimers;
  const interval = options.intervalMs ?? RENEW_CHECK_INTERVAL_MS;
  let handle: unknown;
  let running: Promise<void> | undefined;
  let stopped = false;

  const arm = (ms: number): void => {
    if (stopped) return;
    if (handle !== undefined) timers.clearTimeout(handle);
    handle = timers.setTimeout(() => {
      handle = undefined;
      void run();
    }, ms);
  };

  const run = (): Promise<void> => {
    if (running) return running;
    running = (async () => {
      try {
        await options.job();
      } catch (err) {
        options.logger.error('certificate renewal run failed', { error: err instanceof Error ? err.message : String(err) });
      } finally {
        running = undefined;
        arm(interval);
      }
    })();
    return running;
  };

  arm(options.firstDelayMs ?? RENEW_FIRST_CHECK_MS);
  return {
    runNow: () => run(),
    async stop() {
      stopped = true;
      if (handle !== undefined) timers.clearTimeout(handle);
      handle = undefined;
      await running;
    },
  };
}
