import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's root directory (templates/, schemas/, package.json). Computed here, one level
 * below dist/, rather than by each module relative to itself: the bundled CLI (dist/cli/, see
 * scripts/bundle.mjs) sits at this same depth, so every file is found from either build.
 */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function packagePath(...parts: string[]): string {
  return join(PACKAGE_ROOT, ...parts);
}
