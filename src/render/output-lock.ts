import { linkSync, lstatSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { FatalError } from '../diagnostics/diagnostic.js';

/** Renders into one DIR are serialised by a lock file beside it (`.DIR.gwctl-lock`). */

/** Lock candidates and stale locks set aside that their writers abandoned (killed while taking or breaking the lock). */
export function removeAbandonedLockFiles(outDir: string, lockFile: string): void {
  // Only names gwctl gives its candidates (.TOKEN) and stale locks set aside (.stale-HEX), and only regular files.
  const leftover = new RegExp(
    `^${basename(lockFile).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(?:[0-9a-f]{16}|stale-[0-9a-f]{12})$`,
  );
  for (const name of readdirSync(dirname(outDir))) {
    const path = join(dirname(outDir), name);
    if (leftover.test(name) && isRegularFile(path) && lockLeftoverAbandoned(path)) rmSync(path, { force: true });
  }
}

/**
 * A lock candidate or a stale lock set aside holds its writer's "pid start-time token": it was
 * abandoned when that process is gone. Removing a live contender's candidate is harmless (it
 * writes it again on ENOENT), but an old one is removed whoever wrote it, in case a partial
 * write left a pid that happens to be alive.
 */
function lockLeftoverAbandoned(path: string): boolean {
  const content = readLock(path);
  return content === undefined || !lockHolderAlive(content) || ageMs(path) > LOCK_CANDIDATE_MAX_AGE_MS;
}

function isRegularFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - lstatSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** How long a render waits for another one into the same DIR. */
export const LOCK_WAIT_MS = 30_000;
/** A lock candidate file (written, not yet linked into place) older than this was abandoned. */
const LOCK_CANDIDATE_MAX_AGE_MS = 60_000;

export interface HeldLock {
  lockFile: string;
  /** Throws unless this process still holds the lock (someone may have broken it as stale). */
  assertOwned(): void;
  release(): void;
}

/**
 * A lock file beside DIR holding "pid start-time token". It is created complete (written to a
 * candidate file, then hard-linked into place, which fails if a lock exists), so a lock file is
 * never empty. A lock whose process is gone is stale: it is broken by renaming it to a unique
 * name (only one contender can) and checking it was the stale one.
 */
export function lock(outDir: string, waitMs: number): HeldLock {
  const lockFile = join(dirname(outDir), `.${basename(outDir)}.gwctl-lock`);
  const token = randomBytes(8).toString('hex');
  const content = `${process.pid} ${processStartTime(process.pid) ?? '-'} ${token}\n`;
  const candidate = `${lockFile}.${token}`;
  const deadline = Date.now() + waitMs;
  try {
    for (;;) {
      try {
        writeFileSync(candidate, content);
      } catch (e) {
        // The lock (and the staging directory) live beside DIR, so that the commit is one rename.
        const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        throw new FatalError(
          `${dirname(lockFile)}: cannot write the render lock there (${code}); gwctl keeps its lock and staging directory beside --out, in its parent directory, so that parent must be writable: make it so, or render into a directory whose parent you can write and copy the result`,
        );
      }
      try {
        linkSync(candidate, lockFile);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') continue; // our candidate was cleaned up as abandoned: write it again
        if (code !== 'EEXIST') throw new FatalError(`${lockFile}: cannot create the render lock (${code})`);
      }
      const current = readLock(lockFile);
      // What no gwctl can have left there must not stall renders for the whole wait, nor be removed.
      const notALock = current === undefined ? notALiveLock(lockFile) : notALiveLock(lockFile, current);
      if (notALock !== undefined)
        throw new FatalError(
          `${lockFile}: ${notALock}, so it cannot be the lock of a running gwctl; gwctl left it as it is and rendered nothing: remove it if you know what put it there, then render again`,
        );
      if (current !== undefined && !lockHolderAlive(current)) {
        breakStaleLock(lockFile, current);
        continue;
      }
      if (Date.now() > deadline)
        throw new FatalError(`${outDir} is being rendered by another gwctl (lock ${lockFile})`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
    }
  } finally {
    rmSync(candidate, { force: true });
  }
  const owned = () => readLock(lockFile) === content;
  return {
    lockFile,
    assertOwned: () => {
      if (!owned())
        throw new FatalError(
          `${lockFile}: another gwctl took over the render lock; nothing was committed, render again`,
        );
    },
    release: () => {
      if (owned()) rmSync(lockFile, { force: true });
    },
  };
}

/** gwctl's lock record: "pid start-time token" (start-time "-" where /proc is missing). */
const LOCK_RECORD = /^([1-9]\d{0,9}) (\d{1,20}|-) ([0-9a-f]{16})\n$/;
const MAX_LOCK_BYTES = 64;

/** A lock record, read only from a regular file of a record's size (never a FIFO, device or huge file). */
function readLock(file: string): string | undefined {
  try {
    const st = lstatSync(file);
    if (!st.isFile() || st.size > MAX_LOCK_BYTES) return undefined;
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Why what is at the lock path cannot be a live gwctl lock, or undefined when it may be one. gwctl
 * creates its lock complete (a hard link of a written file), so anything else was put there by
 * something else: a directory, a link, a FIFO, text that is no lock record, a record gwctl on
 * this machine never writes ("-" for a start time where /proc exists), or one naming a live
 * process that is no gwctl (another program, say pid 1, with its real start time).
 */
function notALiveLock(lockFile: string, content?: string): string | undefined {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(lockFile);
  } catch {
    return undefined; // gone meanwhile: the next attempt takes it
  }
  if (st.isDirectory()) return 'a directory is there';
  if (st.isSymbolicLink()) return 'a symbolic link is there';
  if (!st.isFile()) return 'a special file (FIFO, socket or device) is there';
  if (content === undefined)
    return st.size > MAX_LOCK_BYTES
      ? `a file of ${st.size} bytes is there, too large for a lock record`
      : 'a file gwctl cannot read is there';
  const m = LOCK_RECORD.exec(content);
  if (!m) return `a file of ${st.size} bytes is there that is not a gwctl lock record ("pid start-time token")`;
  const [, pid, started] = m;
  if (started === '-' && processStartTime(process.pid) !== undefined)
    return `the record there gives no start time for pid ${pid}, which gwctl always records on this machine`;
  const ours = processName(process.pid);
  const theirs = processName(Number(pid));
  if (ours !== undefined && theirs !== undefined && theirs !== ours && lockHolderAlive(content))
    return `the record there names pid ${pid}, a live process that is not gwctl (${JSON.stringify(theirs.slice(0, 32))})`;
  return undefined;
}

/** The kernel's name for a process (Linux /proc/PID/comm), or undefined. */
function processName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function breakStaleLock(lockFile: string, stale: string): void {
  const aside = `${lockFile}.stale-${randomBytes(6).toString('hex')}`;
  try {
    renameSync(lockFile, aside);
  } catch {
    return; // another contender broke it first
  }
  if (readLock(aside) !== stale) {
    // Between our check and the rename, the stale lock was replaced by a live one: put it back.
    try {
      linkSync(aside, lockFile);
    } catch {
      /* a third process holds it now; the one we moved will see it lost the lock before committing */
    }
  }
  rmSync(aside, { force: true });
}

function lockHolderAlive(content: string): boolean {
  const [pidText, started] = content.trim().split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // The pid is in use: by the same process only if it started at the same time (pids are reused).
  const now = processStartTime(pid);
  return started === undefined || started === '-' || now === undefined || now === started;
}

/** Start time of a process in clock ticks since boot (Linux /proc), or undefined elsewhere. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) may hold spaces and parentheses, so count from its end.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
