/*
 * The blob store for message bytes, on files: content-addressed by SHA-256,
 * one copy however many recipients or mailboxes hold the message.
 *
 * Durability, as qmail and OpenSMTPD do it: write to a temporary name in
 * the same file system, fsync the file, rename it into place, fsync the
 * directory. Only then does put() resolve. Puts that rename into the same
 * directory in the same turn of the event loop share its fsync. Temporary
 * files left by a crash are removed by open().
 *
 * Concurrent puts of the same content share one write, so a put never
 * resolves on a file whose directory entry another put has not yet made
 * durable.
 *
 * The writes use the callback fs API rather than fs/promises: each message
 * costs five or six file system calls on the threadpool, and FileHandle's
 * bookkeeping was a measurable share of the event loop's time per message
 * under load (bench/smtp-ingest).
 *
 * Layout: <root>/<first two hex digits>/<sha256>, 256 directories made at
 * open so a put never creates one.
 *
 * Security: file names are hashes we computed, never peer input.
 */
import { createHash } from 'node:crypto';
import { access, close, closeSync, fsync, open, openSync, promises as fs, read, readFile, rename, renameSync, rm, rmSync, write, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface BlobStore {
  /** Stores the bytes durably; resolves to their SHA-256 (hex). */
  put(bytes: Buffer): Promise<string>;
  /** Stores several at once; hashes in input order. */
  putMany(list: readonly Buffer[]): Promise<string[]>;
  get(hash: string): Promise<Buffer>;
  has(hash: string): Promise<boolean>;
  remove(hash: string): Promise<void>;
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const HASH = /^[0-9a-f]{64}$/;

/** Where a blob lives under root; throws for anything but a SHA-256 in hex, so no path leaves the root. */
export function blobPath(root: string, hash: string): string {
  if (!HASH.test(hash)) throw new Error(`not a blob hash: ${hash}`);
  return join(root, hash.slice(0, 2), hash);
}

/** fsync of a path (a directory): open, sync, close. */
function fsyncPath(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    open(path, 'r', (err, fd) => {
      if (err) return reject(err);
      fsync(fd, (syncErr) => close(fd, (closeErr) => (syncErr || closeErr ? reject(syncErr ?? closeErr) : resolve())));
    });
  });
}

/** Creates path (which must not exist) holding bytes; fsyncs it when asked. */
function writeNew(path: string, bytes: Buffer, sync: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    open(path, 'wx', 0o640, (err, fd) => {
      if (err) return reject(err);
      const finish = (failure: Error | null) =>
        close(fd, (closeErr) => {
          const e = failure ?? closeErr;
          if (!e) return resolve();
          rm(path, { force: true }, () => reject(e));
        });
      let offset = 0;
      const step = (writeErr: Error | null, written?: number) => {
        if (writeErr) return finish(writeErr);
        offset += written ?? 0;
        if (offset < bytes.length) return write(fd, bytes, offset, bytes.length - offset, offset, step);
        if (sync) fsync(fd, finish);
        else finish(null);
      };
      step(null, 0);
    });
  });
}

/**
 * writeNew for a thread of its own: the quick calls (open, write, close)
 * block, and only the fsync, which waits for the disk, goes to the
 * threadpool, so the fsyncs of concurrent messages still overlap.
 */
async function writeNewDirect(path: string, bytes: Buffer, sync: boolean): Promise<void> {
  const fd = openSync(path, 'wx', 0o640);
  try {
    for (let offset = 0; offset < bytes.length; ) offset += writeSync(fd, bytes, offset, bytes.length - offset, offset);
    if (sync) await new Promise<void>((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
  } catch (err) {
    closeSync(fd);
    rmSync(path, { force: true });
    throw err;
  }
  closeSync(fd);
}

export interface BlobStoreOptions {
  fsync: boolean;
  /**
   * Make the quick system calls (open, write, close, rename) blocking and
   * send only fsyncs to the threadpool. Only for a thread that does nothing
   * else (the commit worker): it saves four threadpool round trips per
   * message while fsyncs still overlap.
   */
  blocking?: boolean;
}

function exists(path: string): Promise<boolean> {
  return new Promise((resolve) => access(path, (err) => resolve(!err)));
}

/**
 * A file's bytes, or only its first `length` bytes (open, one read,
 * close), through the callback fs API like the writes: for FETCH, readFile
 * of fs/promises (a FileHandle, and fstat) took a large share of the event
 * loop's time per message (bench/imap-load).
 */
function readBytes(path: string, length?: number): Promise<Buffer> {
  if (length === undefined) return new Promise((resolve, reject) => readFile(path, (err, data) => (err ? reject(err) : resolve(data))));
  return new Promise((resolve, reject) => {
    open(path, 'r', (err, fd) => {
      if (err) return reject(err);
      const buffer = Buffer.allocUnsafe(Math.max(0, length));
      read(fd, buffer, 0, buffer.length, 0, (readErr, n) => {
        close(fd, (closeErr) => (readErr || closeErr ? reject(readErr ?? closeErr) : resolve(buffer.subarray(0, n))));
      });
    });
  });
}

function renameFile(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => rename(from, to, (err) => (err ? reject(err) : resolve())));
}

export class FileBlobStore implements BlobStore {
  /** Puts in progress, by hash, until durable: a second put of the same bytes waits for the first. */
  private readonly writing = new Map<string, Promise<void>>();
  /**
   * Blobs whose put finished in this turn of the event loop: their caller
   * has not had the microtask to take note of them yet (see isWriting).
   */
  private readonly justWritten = new Set<string>();
  private clearScheduled = false;
  /** Open descriptors of the 256 fan-out directories, kept for their fsyncs. */
  private readonly dirFds = new Map<string, number>();
  /** Makes temporary names unique within this process; 'wx' refuses any clash. */
  private tmpCounter = 0;
  /** Directory fsyncs requested but not started yet, which later renames may still join. */
  private readonly dirSyncs = new Map<string, Promise<void>>();

  private constructor(
    private readonly root: string,
    private readonly fsync: boolean,
    private readonly blocking: boolean,
  ) {}

  static async open(root: string, options: BlobStoreOptions): Promise<FileBlobStore> {
    const tmp = join(root, 'tmp');
    await fs.mkdir(tmp, { recursive: true });
    for (let i = 0; i < 256; i++) await fs.mkdir(join(root, i.toString(16).padStart(2, '0')), { recursive: true });
    // Leftovers of writes interrupted by a crash: never acknowledged, never referenced.
    for (const name of await fs.readdir(tmp)) await fs.rm(join(tmp, name), { force: true });
    if (options.fsync) await fsyncPath(root);
    return new FileBlobStore(root, options.fsync, options.blocking ?? false);
  }

  pathOf(hash: string): string {
    return blobPath(this.root, hash);
  }

  /** Resolves once the blob is durably in place, written now or before. */
  private store(bytes: Buffer, hash: string): Promise<void> {
    const running = this.writing.get(hash);
    if (running) return running;
    const done = this.writeDurably(bytes, hash).finally(() => {
      this.writing.delete(hash);
      this.justWritten.add(hash);
      if (!this.clearScheduled) {
        this.clearScheduled = true;
        setImmediate(() => {
          this.clearScheduled = false;
          this.justWritten.clear();
        });
      }
    });
    this.writing.set(hash, done);
    return done;
  }

  private async writeDurably(bytes: Buffer, hash: string): Promise<void> {
    const final = this.pathOf(hash);
    // No existence check first: that is one more system call per message
    // for the rare duplicate, and renaming identical bytes over an existing
    // file is harmless (rename is atomic; readers see one or the other).
    const tmp = join(this.root, 'tmp', `${hash}.${process.pid}.${++this.tmpCounter}`);
    if (this.blocking) {
      await writeNewDirect(tmp, bytes, this.fsync);
      renameSync(tmp, final);
    } else {
      await writeNew(tmp, bytes, this.fsync);
      await renameFile(tmp, final);
    }
    if (this.fsync) await this.syncDir(join(this.root, hash.slice(0, 2)));
  }

  /**
   * fsyncs a directory after a rename into it. Renames that finish in the
   * same turn of the event loop share one fsync; a request never joins an
   * fsync that has already started, which might not cover its rename.
   */
  private syncDir(dir: string): Promise<void> {
    let pending = this.dirSyncs.get(dir);
    if (!pending) {
      pending = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.dirSyncs.delete(dir);
        return this.fsyncDir(dir);
      });
      this.dirSyncs.set(dir, pending);
    }
    return pending;
  }

  /** fsync through a kept descriptor: one call instead of open, fsync, close. */
  private fsyncDir(dir: string): Promise<void> {
    let fd = this.dirFds.get(dir);
    if (fd === undefined) {
      fd = openSync(dir, 'r');
      this.dirFds.set(dir, fd);
    }
    const descriptor = fd;
    return new Promise((resolve, reject) => fsync(descriptor, (err) => (err ? reject(err) : resolve())));
  }

  /** Closes the kept directory descriptors; puts after this reopen them. */
  close(): void {
    for (const fd of this.dirFds.values()) closeSync(fd);
    this.dirFds.clear();
  }

  async put(bytes: Buffer): Promise<string> {
    const hash = sha256(bytes);
    await this.store(bytes, hash);
    return hash;
  }

  async putMany(list: readonly Buffer[]): Promise<string[]> {
    const hashes = list.map(sha256);
    await Promise.all(list.map((bytes, i) => this.store(bytes, hashes[i]!)));
    return hashes;
  }

  async get(hash: string): Promise<Buffer> {
    return readBytes(this.pathOf(hash));
  }

  /** The first `length` bytes (fewer if the blob is shorter). */
  async head(hash: string, length: number): Promise<Buffer> {
    return readBytes(this.pathOf(hash), length);
  }

  async has(hash: string): Promise<boolean> {
    return exists(this.pathOf(hash));
  }

  async remove(hash: string): Promise<void> {
    await fs.rm(this.pathOf(hash), { force: true });
  }

  /**
   * A put of this blob is being written now, or finished in this turn of
   * the event loop (its caller notes the hash in a microtask that may not
   * have run yet; by the next turn it has).
   */
  isWriting(hash: string): boolean {
    return this.writing.has(hash) || this.justWritten.has(hash);
  }

  /** Removes the file at once (the garbage collector does it inside its transaction); absent is fine. */
  removeSync(hash: string): void {
    rmSync(this.pathOf(hash), { force: true });
  }
}
