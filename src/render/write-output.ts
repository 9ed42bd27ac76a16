import {
  chmodSync,
  closeSync,
  cpSync,
  existsSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  rmdirSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { FatalError } from '../diagnostics/diagnostic.js';
import type { OutputFile } from '../plan/render-model.js';
import { CONF, MANIFEST, OWNED_DIRS, RUNTIME_DIRS } from '../output/layout.js';
import { assertOwnConf, assessOutDir, stagingDirs, stagingPrefix } from './output-dir.js';
import { currentReferences, readPendingRecord, removable, undoAbandoned, writePendingRecord } from './provenance.js';
import { DIR_MODE, FILE_MODE, makeDirs, setFileMode, tightenDir } from '../output/modes.js';
import { LOCK_WAIT_MS, lock, removeAbandonedLockFiles } from './output-lock.js';

export { GENERATED_MARKER } from '../output/layout.js';

/**
 * Writes the output so that DIR never holds a mix of two renders.
 *
 * - DIR must be new, empty or gwctl's own output (output-dir.ts); nothing of the user's in it is
 *   overwritten or removed.
 * - Everything is first written (and fsynced) into a staging directory beside DIR; nothing in
 *   DIR changes while the spec is validated, planned, rendered or staged. `verifyStaged` (nginx -t)
 *   runs on the staged output there, where relative paths resolve as from DIR; when it fails, DIR
 *   is not touched.
 * - Every file but nginx.conf is content-addressed (its name carries its hash), so new files can
 *   land next to the old ones without changing what the old nginx.conf refers to.
 * - nginx.conf is swapped in last with one rename: the commit point. Before it, DIR's old
 *   nginx.conf and every file it refers to are untouched; after it, the new nginx.conf and every
 *   file it refers to are complete.
 * - Only then are files the old nginx.conf referred to and the new one does not removed.
 * - A failure before the commit rolls back: files added to DIR are removed, replaced ones
 *   restored, so DIR is exactly as it was. What a render is about to add and remove is recorded
 *   in its staging directory first; the next render finishes or undoes what a killed one left.
 * - Renders into the same DIR are serialised by a lock file beside it; the holder checks it
 *   still owns the lock right before committing.
 */
export async function writeOutput(outDir: string, files: OutputFile[], opts: WriteOptions = {}): Promise<WriteResult> {
  assessOutDir(outDir); // refuse before waiting for the lock or writing anything
  const held = lock(outDir, opts.lockWaitMs ?? LOCK_WAIT_MS);
  const staging = join(stagingParent(outDir), `${stagingPrefix(outDir)}${randomBytes(6).toString('hex')}`);
  const journal = new Journal(outDir, join(staging, '.previous'));
  const removeAfter: string[] = [staging];
  try {
    cleanAbandoned(outDir, held.lockFile);
    // Again under the lock, and after the cleanup: another program may have put its files there meanwhile.
    if (assessOutDir(outDir) === 'interrupted')
      throw new FatalError(
        `${outDir}: tls/ holds files no render of gwctl accounts for; move them away or choose another --out`,
      );
    const previous = currentReferences(outDir);
    for (const f of files) writeDurably(join(staging, f.path), f.content);
    for (const d of RUNTIME_DIRS) makeDirs(join(staging, d));
    syncDirs(staging, files);
    if (opts.verifyStaged) {
      const prefix = besideOutDir(staging, outDir);
      if (prefix !== staging) removeAfter.push(prefix);
      if (!(await opts.verifyStaged(prefix))) return { committed: false, written: [], removed: [] };
    }

    if (!existsSync(outDir)) {
      held.assertOwned();
      try {
        renameSync(staging, outDir);
        syncDir(dirname(outDir));
        return { committed: true, written: files.map((f) => f.path), removed: [] };
      } catch (e) {
        // Someone created DIR meanwhile: fall through to the file-by-file swap.
        if (!['EEXIST', 'ENOTEMPTY'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
      }
    }

    const conf = files.find((f) => f.path === CONF);
    const manifest = files.find((f) => f.path === MANIFEST);
    const newFiles = files.filter(
      (f) => f.path !== CONF && f.path !== MANIFEST && !sameFile(join(outDir, f.path), f.content),
    );
    writePendingRecord(staging, {
      adding: newFiles.map((f) => f.path).filter((p) => !isSymlink(join(outDir, p)) && !existsSync(join(outDir, p))),
      dirs: OWNED_DIRS.filter((d) => !existsSync(join(outDir, d)) && newFiles.some((f) => f.path.startsWith(`${d}/`))),
      previous: [...previous],
    });
    const written: string[] = [];
    // 1. New content-addressed files next to the old ones (the old nginx.conf does not see them).
    for (const f of newFiles) {
      journal.place(join(staging, f.path), f.path);
      written.push(f.path);
    }
    syncDirs(outDir, files);
    // 2. The manifest (until nginx.conf matches it, readers go by nginx.conf), then the commit
    // point: one rename of nginx.conf.
    const confChanges = conf !== undefined && !sameFile(join(outDir, CONF), conf.content);
    const manifestChanges = manifest !== undefined && !sameFile(join(outDir, MANIFEST), manifest.content);
    if (confChanges || manifestChanges) {
      held.assertOwned();
      assertOwnConf(outDir);
    }
    if (manifestChanges) {
      journal.place(join(staging, MANIFEST), MANIFEST);
      written.push(MANIFEST);
    }
    if (confChanges) {
      journal.place(join(staging, CONF), CONF);
      written.push(CONF);
    }
    journal.commit();
    syncDir(outDir);
    // 3. After the commit: runtime directories, and what only the old nginx.conf referred to.
    for (const d of RUNTIME_DIRS) makeDirs(join(outDir, d));
    for (const d of OWNED_DIRS) tightenDir(join(outDir, d));
    const removed = removable(outDir, previous, new Set(files.map((f) => f.path)));
    for (const stale of removed) rmSync(join(outDir, stale), { force: true });
    for (const d of OWNED_DIRS) if (existsSync(join(outDir, d))) syncDir(join(outDir, d));
    return { committed: true, written, removed };
  } catch (e) {
    const rolledBack = journal.rollback();
    if (e instanceof FatalError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new FatalError(
      journal.committed
        ? `${outDir}: the new output is in place, but cleaning up after it failed (${code}); render again to finish`
        : `${outDir}: cannot write the output (${code}); ${rolledBack ? 'the previous output is unchanged' : 'rolling back failed too: check the directory'}`,
    );
  } finally {
    for (const d of removeAfter) rmSync(d, { recursive: true, force: true });
    held.release();
  }
}

export interface WriteOptions {
  lockWaitMs?: number;
  /** Checks the staged output (its directory is passed) before the commit; false keeps DIR as it was. */
  verifyStaged?: (stagedDir: string) => Promise<boolean>;
}

export interface WriteResult {
  /** False when verifyStaged refused the output: DIR was not touched. */
  committed: boolean;
  /** Paths written into DIR, nginx.conf last. */
  written: string[];
  /** gwctl's files removed from DIR because the new nginx.conf no longer refers to them. */
  removed: string[];
}

/** What was put into DIR before the commit, so a failure can put DIR back exactly as it was. */
class Journal {
  private readonly added: string[] = [];
  private readonly replaced: string[] = [];
  private readonly madeDirs: string[] = [];
  committed = false;

  constructor(
    private readonly outDir: string,
    private readonly backup: string,
  ) {}

  /** Moves a staged file to `rel` inside DIR, keeping whatever was there for a rollback. */
  place(staged: string, rel: string): void {
    const target = join(this.outDir, rel);
    this.mkdirs(dirname(target));
    if (existsSync(target) || isSymlink(target)) {
      // Keep the old file by a second name, then replace it with one rename: the path never
      // goes missing, not even for an instant.
      const keep = join(this.backup, rel);
      makeDirs(dirname(keep));
      linkSync(target, keep);
      renameSync(staged, target);
      this.replaced.push(rel);
    } else {
      renameSync(staged, target);
      this.added.push(rel);
    }
  }

  commit(): void {
    this.committed = true;
  }

  /** Undoes every change made before the commit; true when DIR is as it was. */
  rollback(): boolean {
    if (this.committed) return false;
    let ok = true;
    const attempt = (fn: () => void) => {
      try {
        fn();
      } catch {
        ok = false;
      }
    };
    for (const rel of this.added.reverse()) attempt(() => rmSync(join(this.outDir, rel), { force: true }));
    for (const rel of this.replaced.reverse())
      attempt(() => renameSync(join(this.backup, rel), join(this.outDir, rel)));
    for (const dir of this.madeDirs.reverse()) attempt(() => rmdirSync(dir));
    return ok;
  }

  private mkdirs(dir: string): void {
    const missing: string[] = [];
    for (let d = dir; d.startsWith(this.outDir) && d !== this.outDir && !existsSync(d); d = dirname(d))
      missing.unshift(d);
    for (const d of missing) {
      mkdirSync(d);
      chmodSync(d, DIR_MODE);
      this.madeDirs.push(d);
    }
  }
}

/**
 * What `render --check` compares: nginx.conf and the files it refers to, plus gwctl's files a
 * render would remove; nothing the user or nginx put there. Returns the differing paths relative
 * to outDir; '.' when outDir is missing.
 */
export function diffOutput(outDir: string, files: OutputFile[]): string[] {
  return driftLines(driftOf(outDir, files));
}

/** "tls/a.pem: missing", "nginx.conf: differs", "." for a DIR that does not exist. */
export function driftLines(drift: Drift[] | 'no-dir'): string[] {
  if (drift === 'no-dir') return ['.'];
  return drift.map((d) =>
    d.kind === 'missing'
      ? `${d.path}: missing`
      : d.kind === 'differs'
        ? `${d.path}: differs`
        : `${d.path}: not part of the rendered output`,
  );
}

/** One difference between DIR and what would be written: `extra` is a file gwctl would remove. */
export interface Drift {
  path: string;
  kind: 'missing' | 'differs' | 'extra';
}

export function driftOf(outDir: string, files: OutputFile[]): Drift[] | 'no-dir' {
  const differences: Drift[] = [];
  if (!existsSync(outDir)) return 'no-dir';
  for (const f of files) {
    const target = join(outDir, f.path);
    if (!existsSync(target)) differences.push({ path: f.path, kind: 'missing' });
    else if (!sameFile(target, f.content)) differences.push({ path: f.path, kind: 'differs' });
  }
  const wanted = new Set(files.map((f) => f.path));
  const pending = stagingDirs(outDir).flatMap((s) => {
    const p = readPendingRecord(s);
    return p ? [...p.adding, ...p.previous] : [];
  });
  for (const extra of removable(outDir, [...currentReferences(outDir), ...pending], wanted))
    differences.push({ path: extra, kind: 'extra' });
  return differences;
}

/** True when `path` is a regular file holding exactly `content`. */
function sameFile(path: string, content: string): boolean {
  try {
    const st = lstatSync(path);
    if (!st.isFile()) return false;
    // The size first: a changed file is told without reading it or encoding the content.
    return st.size === Buffer.byteLength(content, 'utf8') && readFileSync(path).equals(Buffer.from(content, 'utf8'));
  } catch {
    return false;
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function writeDurably(path: string, content: string): void {
  makeDirs(dirname(path));
  const fd = openSync(path, 'wx', FILE_MODE);
  try {
    setFileMode(fd);
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsync a directory, so the renames in it survive a power cut (best effort where unsupported). */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    /* some file systems refuse fsync on directories */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function syncDirs(root: string, files: OutputFile[]): void {
  for (const d of new Set(files.map((f) => dirname(join(root, f.path))))) if (existsSync(d)) syncDir(d);
  syncDir(root);
}

/**
 * Staging lives beside DIR so that a first render is one rename of the whole directory. When
 * DIR is a mount point (a volume), renames from beside it would cross file systems: staging
 * then goes inside DIR, hidden, and is removed whatever happens.
 */
function stagingParent(outDir: string): string {
  try {
    if (statSync(outDir).dev !== statSync(dirname(outDir)).dev) return outDir;
  } catch {
    /* DIR does not exist yet */
  }
  return dirname(outDir);
}

/**
 * Leftovers of renders that were killed (only called under the lock, so no staging directory
 * belongs to a live render): what their records say they added or left stale in DIR, their
 * staging directories and lock candidates.
 */
function cleanAbandoned(outDir: string, lockFile: string): void {
  for (const staging of stagingDirs(outDir)) {
    const pending = readPendingRecord(staging);
    if (pending) undoAbandoned(outDir, pending);
    rmSync(staging, { recursive: true, force: true });
  }
  removeAbandonedLockFiles(outDir, lockFile);
}

/**
 * nginx -t must see the staged output where relative paths (`../pki/gateway.key`) resolve as
 * from DIR: beside it. Staging is there, unless DIR is a mount point: then a copy goes beside it.
 */
function besideOutDir(staging: string, outDir: string): string {
  if (dirname(staging) === dirname(outDir)) return staging;
  const copy = join(dirname(outDir), `${stagingPrefix(outDir)}${randomBytes(6).toString('hex')}`);
  cpSync(staging, copy, { recursive: true });
  return copy;
}
