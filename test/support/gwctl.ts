import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../../bin/gwctl.js', import.meta.url));

/** Runs gwctl in-process (fast); use `gwctlProcess` where the real process boundary matters. */
export async function gwctl(args: string[], cwd = process.cwd(), now?: Date) {
  return main(args, { cwd, color: false, now });
}

/** Runs the real bin in a child process: exit code, stdout, stderr exactly as users see them. */
export function gwctlProcess(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
  });
  return { exitCode: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}
