import { closeSync, fsyncSync, lstatSync, openSync, renameSync, rmSync, rmdirSync, writeSync } from 'node:fs';
import { FILE_MODE, setFileMode } from '../output/modes.js';
import { join } from 'node:path';
import { readRegularFileOrUndefined } from '../load/read-file.js';
import { OUTPUT_FILE_NAME, shortHash } from '../plan/pem-out.js';
import { CONF, GENERATED_MARKER, MAX_CONF_BYTES, OWNED_DIRS } from '../output/layout.js';
import { currentManifest } from '../output/manifest.js';

/**
 * Which files in DIR/tls are gwctl's to remove. Never "anything named like gwctl's": only files
 * gwctl's own nginx.conf pointed at, or a killed render recorded as added, and only while their
 * bytes still hash to their name (so a file the user edited or put there is never lost).
 */

/**
 * For directories rendered before the render manifest (or whose nginx.conf no longer matches it):
 * the directives gwctl points at files it writes; keys and password files are the user's and
 * are not among them.
 */
const REFERENCE =
  /^[ \t]*(?:ssl_certificate|proxy_ssl_trusted_certificate|proxy_ssl_crl|proxy_ssl_certificate)[ \t]+"?tls\/([^"\s;/]+)"?[ \t]*;[ \t]*$/gm;
/** A pending record lists file names: far below this even for thousands of upstreams. */
const MAX_RECORD_BYTES = 16 * 1024 * 1024;
/** No trust bundle gwctl writes comes near this. */
const MAX_OWN_FILE_BYTES = 64 * 1024 * 1024;

/** The tls/ files a gwctl nginx.conf refers to (as `tls/NAME`). */
export function referencedFiles(conf: string): Set<string> {
  return new Set(
    [...conf.matchAll(REFERENCE)]
      .map((m) => m[1])
      .filter((n) => OUTPUT_FILE_NAME.test(n))
      .map((n) => `tls/${n}`),
  );
}

/**
 * What DIR/nginx.conf refers to now: the files its manifest lists, when the manifest describes it;
 * otherwise (rendered before manifests existed, edited by hand, or a render killed between
 * writing the manifest and nginx.conf) what gwctl's certificate directives in it name. Nothing
 * when there is no nginx.conf, or it is not gwctl's.
 */
export function currentReferences(outDir: string): Set<string> {
  const manifest = currentManifest(outDir);
  if (manifest) return new Set(manifest.files.map((f) => f.path).filter(isOwnFilePath));
  const conf = readRegularFileOrUndefined(join(outDir, CONF), MAX_CONF_BYTES)?.toString('utf8');
  return conf?.startsWith(GENERATED_MARKER) ? referencedFiles(conf) : new Set();
}

/** `tls/NAME` with a content-addressed NAME: the only kind of file gwctl ever removes. */
function isOwnFilePath(rel: string): boolean {
  return /^tls\/[^/]+$/.test(rel) && OUTPUT_FILE_NAME.test(rel.slice(4));
}

/** True when DIR/rel is a regular file whose bytes still hash to its content-addressed name. */
export function unchangedOwnFile(outDir: string, rel: string): boolean {
  const name = rel.slice(rel.indexOf('/') + 1);
  if (!OUTPUT_FILE_NAME.test(name)) return false;
  try {
    if (!lstatSync(join(outDir, rel)).isFile()) return false;
    const bytes = readRegularFileOrUndefined(join(outDir, rel), MAX_OWN_FILE_BYTES);
    return bytes !== undefined && name.endsWith(`-${shortHash(bytes)}.pem`);
  } catch {
    return false;
  }
}

/** Of `candidates`, the files gwctl may remove from DIR: not referenced by `keep`, present, unchanged. */
export function removable(outDir: string, candidates: Iterable<string>, keep: Set<string>): string[] {
  return [...new Set(candidates)].filter((rel) => !keep.has(rel) && unchangedOwnFile(outDir, rel)).sort();
}

/**
 * What a render is about to change in DIR, kept in its staging directory before it changes
 * anything: if it is killed, the next render removes what it added (unless the nginx.conf then
 * in place refers to it) and what the replaced nginx.conf referred to.
 */
export interface PendingChanges {
  /** tls/ files about to be added (not there before). */
  adding: string[];
  /** gwctl's directories about to be created in DIR. */
  dirs: string[];
  /** What the nginx.conf being replaced refers to. */
  previous: string[];
}

const RECORD = '.gwctl-pending.json';

export function writePendingRecord(staging: string, pending: PendingChanges): void {
  const tmp = join(staging, `${RECORD}.tmp`);
  const fd = openSync(tmp, 'wx', FILE_MODE);
  try {
    setFileMode(fd);
    writeSync(fd, JSON.stringify(pending));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  // Complete or absent: a render killed while writing it had not changed DIR yet.
  renameSync(tmp, join(staging, RECORD));
  const dirFd = openSync(staging, 'r');
  try {
    fsyncSync(dirFd);
  } catch {
    /* some file systems refuse fsync on directories */
  } finally {
    closeSync(dirFd);
  }
}

/** The record of an abandoned staging directory; undefined when it has none, or not one gwctl wrote. */
export function readPendingRecord(staging: string): PendingChanges | undefined {
  let data: unknown;
  try {
    data = JSON.parse(readRegularFileOrUndefined(join(staging, RECORD), MAX_RECORD_BYTES)?.toString('utf8') ?? 'null');
  } catch {
    return undefined;
  }
  const record = data as Partial<PendingChanges> | null;
  const files = (v: unknown) => Array.isArray(v) && v.every((p) => typeof p === 'string' && isOwnFilePath(p));
  const dirs = (v: unknown) => Array.isArray(v) && v.every((d) => OWNED_DIRS.includes(d as string));
  if (!record || !files(record.adding) || !files(record.previous) || !dirs(record.dirs)) return undefined;
  return { adding: record.adding!, dirs: record.dirs!, previous: record.previous! };
}

/** Finishes what a killed render left: removes its now-unreferenced files and the empty directories it made. */
export function undoAbandoned(outDir: string, pending: PendingChanges): void {
  for (const rel of removable(outDir, [...pending.adding, ...pending.previous], currentReferences(outDir)))
    rmSync(join(outDir, rel), { force: true });
  for (const d of pending.dirs) {
    try {
      rmdirSync(join(outDir, d));
    } catch {
      /* not empty (or gone): it holds files that stay */
    }
  }
}
