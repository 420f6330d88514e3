/*
 * Start-up after an unclean stop. The pid file records the process and
 * when it started; if it is still there at the next start, that process
 * died without stopping cleanly (kill -9, power loss). Message files it
 * wrote after it started but whose transaction never committed (the crash
 * fell between the two) were never acknowledged and are referenced by no
 * mailbox and no queue entry: they are removed here, before anything new
 * is written. A live process behind the pid file means another server
 * already uses this data directory, and this one refuses to start.
 *
 * Security: runs before any listener opens; deletes only files named as
 * blob hashes that the database does not reference.
 */
import { readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MetadataStore } from '../store/types.js';
import type { Logger } from '../telemetry/logger.js';
import type { DataPaths } from './paths.js';

export interface PidFile {
  pid: number;
  startedAt: number;
}

export function readPidFile(path: string): PidFile | undefined {
  try {
    const [pid, startedAt] = readFileSync(path, 'utf8').split('\n').map(Number);
    if (!pid || !Number.isInteger(pid)) return undefined;
    return { pid, startedAt: Number.isFinite(startedAt) ? startedAt! : 0 };
  } catch {
    return undefined;
  }
}

export function writePidFile(path: string, startedAt: number): void {
  writeFileSync(path, `${process.pid}\n${startedAt}\n`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const HASH = /^[0-9a-f]{64}$/;

/** Removes blob files written since `since` that nothing references; returns how many. */
export async function removeOrphanBlobs(blobsDir: string, since: number, store: MetadataStore): Promise<number> {
  let removed = 0;
  for (let i = 0; i < 256; i++) {
    const dir = join(blobsDir, i.toString(16).padStart(2, '0'));
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!HASH.test(name)) continue;
      const path = join(dir, name);
      // A second of slack for coarse file system timestamps.
      if (statSync(path).mtimeMs < since - 1000) continue;
      if (await store.isBlobReferenced(name)) continue;
      unlinkSync(path);
      removed++;
    }
  }
  return removed;
}

/** Checks the previous run; throws if a server is already running here. */
export async function recoverAfterUncleanStop(paths: DataPaths, store: MetadataStore, logger: Logger): Promise<void> {
  const previous = readPidFile(paths.pidFile);
  if (!previous || previous.pid === process.pid) return;
  if (alive(previous.pid)) {
    throw new Error(`another Petrel (pid ${previous.pid}) is using ${paths.root}; stop it first, or remove ${paths.pidFile} if that process is not Petrel`);
  }
  const removed = await removeOrphanBlobs(paths.blobs, previous.startedAt, store);
  logger.warn('recovered from an unclean stop', { previous_pid: previous.pid, orphan_files_removed: removed });
}
