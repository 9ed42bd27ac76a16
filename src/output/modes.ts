import { chmodSync, existsSync, fchmodSync, lstatSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Modes of what gwctl creates, whatever the process umask: a umask of 000 (some CI images, some
 * shared hosts) must not make tls/ writable by every local user, who could then swap the trust
 * bundle nginx loads. Directories rwxr-xr-x, files rw-r--r-- (gwctl writes certificates and
 * nginx.conf, never keys: nginx.conf names the key files where they are).
 */
export const DIR_MODE = 0o755;
export const FILE_MODE = 0o644;

/** mkdir -p with DIR_MODE on every directory it creates (chmod after mkdir: mkdir's mode is masked by the umask). Returns them, outermost first. */
export function makeDirs(dir: string): string[] {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d) && dirname(d) !== d; d = dirname(d)) missing.unshift(d);
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      continue; // someone else made it meanwhile: not ours to chmod
    }
    chmodSync(d, DIR_MODE);
  }
  return missing;
}

/** An open file gwctl just created gets FILE_MODE, umask or not. */
export function setFileMode(fd: number): void {
  fchmodSync(fd, FILE_MODE);
}

/** A directory gwctl owns (tls/) that an earlier run left writable by group or others is tightened. */
export function tightenDir(dir: string): void {
  try {
    const st = lstatSync(dir);
    if (st.isDirectory() && st.mode & 0o022) chmodSync(dir, DIR_MODE);
  } catch {
    /* gone: nothing to tighten */
  }
}
