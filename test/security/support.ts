import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Helpers shared by the security tests (test/security/*, test/e2e/isolation.test.ts). */

export const BIN = fileURLToPath(new URL('../../../bin/gwctl.js', import.meta.url));

/**
 * Everything under a directory — regular files with their bytes and mode, directories, symlinks —
 * as one comparable map. Two snapshots are deepEqual exactly when nothing in the tree changed.
 */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const r = `${rel}${name}`;
      const st = lstatSync(p);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out.set(r, `symlink ${readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.set(`${r}/`, `dir ${mode}`);
        walk(p, `${r}/`);
      } else out.set(r, `file ${mode} ${readFileSync(p).toString('base64')}`);
    }
  };
  if (existsSync(dir)) walk(dir, '');
  return out;
}

/** Names that differ between two snapshots, for readable assertion messages. */
export function snapshotDiff(a: Map<string, string>, b: Map<string, string>): string[] {
  const names = new Set([...a.keys(), ...b.keys()]);
  return [...names]
    .sort()
    .filter((n) => a.get(n) !== b.get(n))
    .map((n) => `${n}: ${a.has(n) ? (b.has(n) ? 'changed' : 'removed') : 'added'}`);
}

export interface ProcessResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The real bin in a child process, asynchronously (so tests can run several at once or kill them). */
export function startBin(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): { child: ChildProcess; done: Promise<ProcessResult> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += String(d);
  });
  child.stderr!.on('data', (d) => {
    stderr += String(d);
  });
  const done = new Promise<ProcessResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode, signal) => resolve({ exitCode, signal, stdout, stderr }));
  });
  return { child, done };
}

export async function runBin(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<ProcessResult> {
  return startBin(args, opts).done;
}

/** A JavaScript or Node stack frame, or the words of an unhandled crash. */
export const STACK_TRACE =
  /\n\s+at .+[(:]\d+|internal error|Maximum call stack|TypeError|RangeError|ReferenceError|SyntaxError: /;

/** 1-based line and column of the first occurrence of `needle` in `text` (how the tests name the offending field). */
export function positionOf(text: string, needle: string, from = 0): { line: number; column: number } {
  const at = text.indexOf(needle, from);
  if (at < 0) throw new Error(`${JSON.stringify(needle)} is not in the text`);
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  return { line, column: at - before.lastIndexOf('\n') };
}
