import { chmodSync, cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './gwctl.js';

/**
 * Copies an example (examples/mtls-upstream unless `source` names another) to `dest` with its
 * private keys at mode 0600, as a user who heeded gwctl's key.permissions warning has them (git
 * checks every file out 0644).
 */
export function copyExample(dest: string, source = join(REPO_ROOT, 'examples/mtls-upstream')): void {
  cpSync(source, dest, { recursive: true });
  const pki = join(dest, 'pki');
  for (const name of readdirSync(pki)) if (name.endsWith('.key')) chmodSync(join(pki, name), 0o600);
}
