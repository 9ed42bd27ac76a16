import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FatalError, error, type Diagnostic } from '../diagnostics/diagnostic.js';
import { readRegularFile } from '../load/read-file.js';
import { mapNginxMessages, parseNginxOutput, type SpecShape } from './map-errors.js';

/** A rendered nginx.conf for thousands of routes is a few MB; DIR/nginx.conf may be anything. */
const MAX_CONF_BYTES = 64 * 1024 * 1024;

/** nginx -t reads certificates and keys; anything slower than this is stuck. */
export const NGINX_TEST_TIMEOUT_MS = 60_000;

export interface NginxTestRun {
  /** The binary that ran. */
  binary: string;
  /** The arguments it got (for messages and JSON output). */
  args: string[];
  exitCode: number | undefined;
  /** stdout and stderr, interleaved as nginx wrote them. */
  output: string;
  diagnostics: Diagnostic[];
}

export interface NginxTestOptions {
  /** Absolute path of the nginx prefix (the rendered output). */
  dir: string;
  binary: string;
  cwd: string;
  spec?: { file: string; data: SpecShape };
}

/** `BINARY -p DIR/ -c nginx.conf -e logs/error.log -t`, through execa; nginx's complaints become diagnostics. */
export async function runNginxTest(o: NginxTestOptions): Promise<NginxTestRun> {
  const conf = join(o.dir, 'nginx.conf');
  if (!existsSync(o.dir) || !statSync(o.dir).isDirectory()) throw new FatalError(`${o.dir}: no such directory (render into it first: gwctl render SPEC --out DIR)`);
  if (!existsSync(conf)) throw new FatalError(`${conf}: no nginx.conf to test (render into the directory first: gwctl render SPEC --out DIR)`);
  const read = readRegularFile(conf, MAX_CONF_BYTES);
  if ('problem' in read) throw new FatalError(`${conf}: ${read.problem.message}`);
  const text = read.data.toString('utf8');
  // -e needs its directory before nginx parses anything; a fresh checkout may not have logs/.
  mkdirSync(join(o.dir, 'logs'), { recursive: true });
  const args = ['-p', o.dir.endsWith('/') ? o.dir : `${o.dir}/`, '-c', 'nginx.conf', '-e', 'logs/error.log', '-t'];
  const { execa } = await import('execa');
  const r = await execa(o.binary, args, { reject: false, all: true, stdin: 'ignore', timeout: NGINX_TEST_TIMEOUT_MS, cwd: o.dir });
  if (r.failed && r.exitCode === undefined) {
    const why = r.timedOut ? `did not finish within ${NGINX_TEST_TIMEOUT_MS / 1000} s` : (r.cause instanceof Error ? r.cause.message : r.shortMessage);
    throw new FatalError(`${o.binary} -t: ${why}`);
  }
  const output = typeof r.all === 'string' ? r.all : '';
  const diagnostics = mapNginxMessages(parseNginxOutput(output), { dir: o.dir, conf: text, cwd: o.cwd, spec: o.spec });
  if (r.exitCode !== 0 && !diagnostics.some((d) => d.severity === 'error')) {
    // nginx failed without a message we understand: show what it said.
    diagnostics.push({ ...error('nginx.rejected', `${o.binary} -t exited with ${r.exitCode}: ${output.trim() || '(no output)'}`), file: conf, line: 1, column: 1 });
  }
  return { binary: o.binary, args, exitCode: r.exitCode, output, diagnostics };
}
