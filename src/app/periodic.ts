/*
 * A server task run now and then every interval, never two runs at once
 * (a slow run makes the next tick skip), its failures logged and kept
 * from the process. The timer does not hold the process open.
 *
 * Exports: runPeriodically.
 * Security: none of its own.
 */
import type { Logger } from '../telemetry/logger.js';

export function runPeriodically(task: () => Promise<void>, intervalMs: number, log: Logger, what: string): { stop(): void } {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await task();
    } catch (err) {
      log.warn(`${what} failed`, { reason: err instanceof Error ? err.message : String(err) });
    } finally {
      running = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
