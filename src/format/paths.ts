import { isAbsolute, relative, sep } from 'node:path';

/**
 * A file as the formats name it: relative to the working directory (the workspace, in CI) with
 * `/` separators when it lies inside; undefined when it lies outside (callers then keep the
 * absolute path, never a `../../..`).
 */
export function workspaceRelative(file: string, cwd: string): string | undefined {
  if (!isAbsolute(file)) return file.split(sep).join('/');
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : undefined;
}
