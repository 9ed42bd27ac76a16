import { lstatSync, readdirSync, readlinkSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FatalError } from '../diagnostics/diagnostic.js';
import { readRegularFile } from '../load/read-file.js';
import { CONF, GENERATED_MARKER, OWNED_DIRS, RUNTIME_DIRS } from '../output/layout.js';
import { OUTPUT_FILE_NAME } from '../plan/pem-out.js';
import { currentManifest } from '../output/manifest.js';

/**
 * What `--out DIR` is. gwctl renders only where it cannot overwrite or remove anything of the
 * user's: a new or empty directory, or its own output. `interrupted`: no nginx.conf yet, only
 * gwctl's files in tls/ and a render's staging directory beside DIR (a render is running, or was
 * killed while rendering into an empty DIR; the next render cleans up after it).
 */
export type OutDirState = 'missing' | 'empty' | 'gwctl' | 'interrupted';

/**
 * The directory nginx will see as its prefix: key paths in nginx.conf are relative to it, and
 * nginx resolves them through any symlink on the way (`--out current` -> releases/r1).
 */
export function realOutDir(outDir: string): string {
  if (lstatOrUndefined(outDir)) {
    try {
      return realpathSync(outDir);
    } catch {
      throw new FatalError(
        `${outDir} is a symlink to ${readlinkSync(outDir)}, which does not exist: create that directory, or choose another --out`,
      );
    }
  }
  try {
    return join(realpathSync(dirname(outDir)), basename(outDir));
  } catch {
    throw new FatalError(`${dirname(outDir)}: the parent directory of --out does not exist`);
  }
}

/** What DIR is; a FatalError saying why and what to do when gwctl must not render into it. */
export function assessOutDir(outDir: string): OutDirState {
  const st = statOrUndefined(outDir);
  if (!st) {
    if (!statOrUndefined(dirname(outDir)))
      throw new FatalError(`${dirname(outDir)}: the parent directory of --out does not exist`);
    return 'missing';
  }
  if (!st.isDirectory()) throw new FatalError(`${outDir}: --out exists and is not a directory`);
  for (const d of [...OWNED_DIRS, ...RUNTIME_DIRS]) assertPlainDirectory(outDir, d);
  if (lstatOrUndefined(join(outDir, CONF))) {
    assertOwnConf(outDir);
    return 'gwctl';
  }
  const mountPoint = statOrUndefined(dirname(outDir))?.dev !== st.dev;
  const entries = readdirSync(outDir).filter(
    (name) => !name.startsWith(stagingPrefix(outDir)) && !(mountPoint && name === 'lost+found'),
  );
  const contents = new Map(entries.map((name) => [name, gwctlDir(outDir, name)]));
  if ([...contents.values()].every((names) => names?.length === 0)) return 'empty';
  const onlyOwnFiles = entries.length === 1 && contents.get('tls')?.every((n) => OUTPUT_FILE_NAME.test(n));
  if (onlyOwnFiles && stagingDirs(outDir).length) return 'interrupted';
  throw new FatalError(
    `${outDir} is not empty and holds no nginx.conf written by gwctl: gwctl renders only into a new or empty directory, or over its own earlier output, so that nothing of yours is overwritten or removed; choose a new directory for --out`,
  );
}

/** Throws unless DIR/nginx.conf, when there is one, is a regular file gwctl wrote. */
export function assertOwnConf(outDir: string): void {
  const conf = join(outDir, CONF);
  const read = readRegularFile(conf, GENERATED_MARKER.length, { head: true });
  if ('problem' in read) {
    if (read.problem.code === 'file.missing') return;
    if (read.problem.code === 'file.directory' || read.problem.code === 'file.not-regular')
      throw new FatalError(`${conf} is not a file; refusing to replace it`);
    throw new FatalError(`${conf}: ${read.problem.message}`);
  }
  const head = read.data.toString('latin1');
  // The manifest describing this very nginx.conf, or (a directory rendered before manifests, or
  // gwctl's nginx.conf edited by hand) the first line gwctl writes.
  if (head !== GENERATED_MARKER && !currentManifest(outDir))
    throw new FatalError(
      `${conf} was not written by gwctl; refusing to overwrite it (move it away or choose another --out)`,
    );
}

/** gwctl writes into tls/ and removes files there: through a symlink that would happen outside DIR. */
function assertPlainDirectory(outDir: string, name: string): void {
  const st = lstatOrUndefined(join(outDir, name));
  if (!st || st.isDirectory()) return;
  const what = st.isSymbolicLink() ? `is a symlink (to ${readlinkSync(join(outDir, name))})` : 'is not a directory';
  throw new FatalError(
    `${join(outDir, name)} ${what}; gwctl writes under ${name}/ and will not follow it out of the output directory: make it a plain directory, or choose another --out`,
  );
}

/** The names in DIR/name when it is one of gwctl's directories; undefined for anything else. */
function gwctlDir(outDir: string, name: string): string[] | undefined {
  if (![...OWNED_DIRS, ...RUNTIME_DIRS].includes(name)) return undefined;
  return readdirSync(join(outDir, name));
}

/** Staging directories of renders into DIR are named `.DIR.gwctl-staging-<random>`. */
export function stagingPrefix(outDir: string): string {
  return `.${basename(outDir)}.gwctl-staging-`;
}

/** Staging directories of renders into DIR: beside it, or inside it when DIR is a mount point. */
export function stagingDirs(outDir: string): string[] {
  const found: string[] = [];
  for (const parent of new Set([dirname(outDir), outDir])) {
    if (!statOrUndefined(parent)?.isDirectory()) continue;
    for (const name of readdirSync(parent)) if (name.startsWith(stagingPrefix(outDir))) found.push(join(parent, name));
  }
  return found;
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
