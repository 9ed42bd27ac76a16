import { statSync } from 'node:fs';
import { join } from 'node:path';
import { FatalError, error, type Diagnostic } from '../diagnostics/diagnostic.js';
import { readRegularFile } from '../load/read-file.js';
import { MAX_CONF_BYTES } from '../output/layout.js';
import { makeDirs } from '../output/modes.js';
import { linesStillApply, readManifest } from '../output/manifest.js';
import { guardNginxConf } from './conf-guard.js';
import { mapNginxMessages, parseNginxOutput, type SpecShape } from './map-errors.js';

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
  /** TLS contexts tested with generated stand-in keys (their keys live on the gateway host). */
  standIns: number;
}

export interface NginxTestOptions {
  /** Absolute path of the nginx prefix (the rendered output). */
  dir: string;
  binary: string;
  cwd: string;
  spec?: { file: string; data: SpecShape };
  /** The directory to name in messages instead of `dir`: render --test tests a staged copy of DIR beside it. */
  shownAs?: string;
  /** Keys and password files that live only on the gateway host: tested with stand-ins (stand-ins.ts). */
  standInFor?: ReadonlySet<string>;
  /** The environment (GWCTL_TRUSTED_MODULES). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** `BINARY -p DIR/ -c nginx.conf -e logs/error.log -t`, through execa; nginx's complaints become diagnostics. */
export async function runNginxTest(o: NginxTestOptions): Promise<NginxTestRun> {
  const text = readConf(o.dir);
  // -e needs its directory before nginx parses anything; a fresh checkout may not have logs/.
  makeDirs(join(o.dir, 'logs'));
  // Loading a module, or some directives, runs code: nginx only sees what gwctl would render (conf-guard.ts).
  const refused = guardNginxConf(text, {
    dir: o.dir,
    confShown: join(o.shownAs ?? o.dir, 'nginx.conf'),
    env: o.env ?? {},
  });
  const prefix = o.dir.endsWith('/') ? o.dir : `${o.dir}/`;
  if (refused.length > 0)
    return {
      binary: o.binary,
      args: ['-p', prefix, '-c', 'nginx.conf', '-e', 'logs/error.log', '-t'],
      exitCode: undefined,
      output: '',
      diagnostics: refused,
      standIns: 0,
    };
  // Keys that live only on the gateway host: nginx -t reads stand-ins in their place (stand-ins.ts).
  const standIn = o.standInFor?.size
    ? await (await import('./stand-ins.js')).withStandIns(o.dir, text, o.standInFor)
    : undefined;
  const args = ['-p', prefix, '-c', standIn?.confFile ?? 'nginx.conf', '-e', 'logs/error.log', '-t'];
  const { execa } = await import('execa');
  const r = await execa(o.binary, args, {
    reject: false,
    all: true,
    stdin: 'ignore',
    timeout: NGINX_TEST_TIMEOUT_MS,
    // Not DIR: nothing nginx or a module looks up relative to its working directory (Lua's "./?.lua") may come from the checkout.
    cwd: '/',
  }).finally(() => standIn?.dispose());
  if (r.failed && r.exitCode === undefined) {
    const why = r.timedOut
      ? `did not finish within ${NGINX_TEST_TIMEOUT_MS / 1000} s`
      : r.cause instanceof Error
        ? r.cause.message
        : r.shortMessage;
    throw new FatalError(`${o.binary} -t: ${why}`);
  }
  let said = typeof r.all === 'string' ? r.all : '';
  // The substituted copy has the lines of DIR/nginx.conf: name that file.
  if (standIn) said = said.split(standIn.confFile).join(join(o.dir, 'nginx.conf'));
  const shown = o.shownAs ?? o.dir;
  // The staged copy's name means nothing to the user, and is gone once the render ends.
  const output = o.shownAs === undefined ? said : said.split(o.dir).join(o.shownAs);
  // The manifest maps lines to spec fields while its line ranges still apply to this nginx.conf.
  const manifest = readManifest(o.dir);
  const diagnostics = mapNginxMessages(parseNginxOutput(output), {
    dir: shown,
    conf: text,
    cwd: o.cwd,
    spec: o.spec,
    manifest: manifest && linesStillApply(manifest, text) ? manifest : undefined,
  });
  if (r.exitCode !== 0 && !diagnostics.some((d) => d.severity === 'error')) {
    // nginx failed without a message we understand: show what it said.
    diagnostics.push({
      ...error('nginx.rejected', `${o.binary} -t exited with ${r.exitCode}: ${output.trim() || '(no output)'}`),
      file: join(shown, 'nginx.conf'),
      line: 1,
      column: 1,
    });
  }
  return { binary: o.binary, args, exitCode: r.exitCode, output, diagnostics, standIns: standIn?.replaced ?? 0 };
}

/** DIR/nginx.conf as nginx will read it; never a FIFO (which would hang) nor a device or huge file (which would fill memory). */
export function readConf(dir: string): string {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new FatalError(`${dir}: no such directory (render into it first: gwctl render SPEC --out DIR)`);
  }
  if (!isDir)
    throw new FatalError(
      `${dir}: is not a directory; gwctl test takes the rendered output directory, the one holding nginx.conf`,
    );
  const conf = join(dir, 'nginx.conf');
  const read = readRegularFile(conf, MAX_CONF_BYTES);
  if ('data' in read) return read.data.toString('utf8');
  const { code, message } = read.problem;
  if (code === 'file.missing')
    throw new FatalError(
      `${conf}: no nginx.conf to test (render into the directory first: gwctl render SPEC --out DIR)`,
    );
  if (code === 'file.too-large')
    throw new FatalError(`${conf}: ${message} for an nginx.conf; this is not a rendered gateway config`);
  if (code === 'file.directory' || code === 'file.not-regular')
    throw new FatalError(
      `${conf}: ${message} (a FIFO, device or directory); nginx reads nginx.conf as a regular file: render into the directory again`,
    );
  throw new FatalError(`${conf}: ${message}`);
}
