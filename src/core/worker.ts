/*
 * Starting one of our worker threads from its module, whether Petrel runs
 * from compiled JavaScript (dist/) or from the TypeScript sources through
 * tsx (`npm start`, tests): a worker does not inherit tsx's loader, so a
 * source run starts it with a small bootstrap that registers tsx first.
 *
 * Exports: spawnWorker, workerReady.
 * Security: the entry is one of our own module URLs, never input.
 */
import { Worker } from 'node:worker_threads';

/**
 * Starts the worker whose module sits next to `base` under `name` (without
 * extension): `name.js` in a build, `name.ts` through tsx.
 */
export function spawnWorker(base: string, name: string, workerData?: unknown): Worker {
  if (!base.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, base), { workerData });
  const entry = new URL(`./${name}.ts`, base).href;
  const api = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/**
 * Resolves once the worker posts { ready: true }; rejects on { fatal } or
 * when it exits first. The worker's other messages are left to its owner.
 */
export function workerReady(worker: Worker, name: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onMessage = (m: { ready?: true; fatal?: string }) => {
      if (m.ready) done(null);
      else if (m.fatal !== undefined) done(new Error(m.fatal));
    };
    const onExit = (code: number) => done(new Error(`${name} exited with code ${code} while starting`));
    const done = (err: Error | null) => {
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      if (err) reject(err);
      else resolve();
    };
    worker.on('message', onMessage);
    worker.on('exit', onExit);
  });
}
