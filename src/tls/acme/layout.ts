/*
 * The files of a managed certificate in the Let's Encrypt layout the
 * certificate registry reads (<certsDir>/live/<name>/fullchain.pem and
 * privkey.pem), with what the ACME manager keeps beside them:
 * next-privkey.pem (the key the next rollover switches to, whose TLSA can
 * be published ahead) and petrel-acme.json (names, jitter, rollover state).
 * The registry reads only the first two; the others it ignores.
 *
 * Every file is written atomically: a temporary file in the same
 * directory (created exclusively with its final mode), written, fsynced,
 * renamed over the old one, then the directory fsynced, so a reader or a
 * crash sees the old file or the new one, never part of one. Keys are
 * mode 0600, the directories 0700. A renewal that changes the key writes
 * privkey.pem before fullchain.pem: a registry reload in between finds
 * them mismatched and keeps the certificate it serves (and reloads when
 * the chain lands); a crash in between leaves a pair the manager sees as
 * inconsistent and reissues at its next run.
 *
 * A lock file (live/.<name>.petrel-acme.lock, O_EXCL, holding pid and
 * time; the registry skips dot files) keeps two processes (the server's
 * scheduler and `petrel cert renew`) from writing one certificate at
 * once; a lock whose process is gone, or older than LOCK_STALE_MS, is
 * taken over.
 *
 * Exports: LivePaths, livePaths, isSafeLineageName, writeFileAtomic,
 * readCapped, readState, writeState, withLock, listLineages,
 * FULLCHAIN_FILE, PRIVKEY_FILE, NEXT_PRIVKEY_FILE, STATE_FILE.
 *
 * Security: writes key material; names of directories come from the
 * configuration (host and domain names) and are checked to be one path
 * component of DNS characters, so no name leaves live/. Files read back
 * are size-capped.
 * Standards: certbot's live/ layout (fullchain.pem = leaf then chain).
 */
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { LOCK_STALE_MS, MAX_STATE_FILE_BYTES } from './limits.js';
import type { ManagedState } from './types.js';

export const FULLCHAIN_FILE = 'fullchain.pem';
export const PRIVKEY_FILE = 'privkey.pem';
export const NEXT_PRIVKEY_FILE = 'next-privkey.pem';
export const STATE_FILE = 'petrel-acme.json';
const LOCK_SUFFIX = '.petrel-acme.lock';

export interface LivePaths {
  dir: string;
  fullchain: string;
  privkey: string;
  nextPrivkey: string;
  state: string;
  lock: string;
}

/** One path component of DNS characters: what a lineage (certificate directory) may be called. */
export function isSafeLineageName(name: string): boolean {
  return /^[a-z0-9_*](?:[a-z0-9_.*-]{0,251}[a-z0-9_])?$/i.test(name) && !name.includes('..') && name !== '.';
}

export function livePaths(certsDir: string, name: string): LivePaths {
  if (!isSafeLineageName(name)) throw new RangeError(`"${name}" cannot name a certificate directory`);
  const dir = join(certsDir, 'live', name);
  return {
    dir,
    fullchain: join(dir, FULLCHAIN_FILE),
    privkey: join(dir, PRIVKEY_FILE),
    nextPrivkey: join(dir, NEXT_PRIVKEY_FILE),
    state: join(dir, STATE_FILE),
    // Beside the lineage, not in it: a first order that fails leaves no directory the registry would try to load.
    lock: join(certsDir, 'live', `.${name}${LOCK_SUFFIX}`),
  };
}

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `data` to `path` through a temporary file in the same directory: exclusive create with `mode`, write, fsync, rename, fsync the directory. */
export async function writeFileAtomic(path: string, data: string, mode: number): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    await handle.writeFile(data);
    // The umask may have narrowed the mode given to open; be exact.
    await handle.chmod(mode);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncDirectory(dir);
}

/** The file's text, or undefined when it does not exist; throws when it is larger than `max` or not a regular file. */
export async function readCapped(path: string, max: number): Promise<string | undefined> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error(`${path}: not a regular file`);
    if (info.size > max) throw new Error(`${path}: larger than ${max} bytes`);
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function isState(value: unknown): value is ManagedState {
  const v = value as ManagedState;
  return (
    typeof v === 'object' && v !== null && v.version === 1 && Array.isArray(v.names) && v.names.every((n) => typeof n === 'string') &&
    typeof v.directoryUrl === 'string' && typeof v.renewJitterMs === 'number' && typeof v.rolloverPending === 'boolean' && typeof v.issuedAt === 'number'
  );
}

/** The manager's state of a lineage; undefined when there is none (not managed by Petrel); throws when it is unreadable. */
export async function readState(paths: LivePaths): Promise<ManagedState | undefined> {
  const text = await readCapped(paths.state, MAX_STATE_FILE_BYTES);
  if (text === undefined) return undefined;
  const value: unknown = JSON.parse(text);
  if (!isState(value)) throw new Error(`${paths.state}: not a Petrel ACME state file`);
  return value;
}

export async function writeState(paths: LivePaths, state: ManagedState): Promise<void> {
  await writeFileAtomic(paths.state, JSON.stringify(state, null, 2) + '\n', 0o644);
}

/** The lineages under <certsDir>/live that have a state file (those Petrel manages), sorted. */
export async function listLineages(certsDir: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(join(certsDir, 'live'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: string[] = [];
  for (const name of entries.sort()) {
    if (!isSafeLineageName(name)) continue;
    try {
      if ((await stat(join(certsDir, 'live', name, STATE_FILE))).isFile()) out.push(name);
    } catch {
      // not managed by Petrel
    }
  }
  return out;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock is held while its process lives and it is younger than LOCK_STALE_MS. Our own pid counts only for locks taken since this process started (in a container the server is always pid 1). */
function lockHeld(holder: { pid?: number; at?: number }): boolean {
  if (typeof holder.pid !== 'number' || typeof holder.at !== 'number') return false;
  const now = Date.now();
  if (now - holder.at >= LOCK_STALE_MS) return false;
  if (holder.pid === process.pid) return holder.at >= now - process.uptime() * 1000;
  return processAlive(holder.pid);
}

/**
 * Runs `fn` holding the lineage's lock file; throws when another live
 * process (or another manager in this one) holds it. Lock times are wall
 * clock, whatever clock the manager was given: they concern processes.
 */
export async function withLock<T>(paths: LivePaths, fn: () => Promise<T>): Promise<T> {
  await mkdir(dirname(paths.lock), { recursive: true, mode: 0o700 });
  const content = JSON.stringify({ pid: process.pid, at: Date.now() });
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(paths.lock, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      await handle.writeFile(content);
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder: { pid?: number; at?: number } = {};
      try {
        holder = JSON.parse((await readCapped(paths.lock, 1024)) ?? '{}') as typeof holder;
      } catch {
        // unreadable: stale
      }
      if (attempt > 0 || lockHeld(holder)) throw new Error(`${paths.dir} is being renewed by another process (pid ${holder.pid ?? '?'}, lock ${paths.lock})`);
      await rm(paths.lock, { force: true });
    }
  }
  try {
    return await fn();
  } finally {
    await rm(paths.lock, { force: true });
  }
}
