import { join } from 'node:path';
import { findNginx } from '../check/find-nginx.js';
import type { SpecShape } from '../check/map-errors.js';
import { runNginxTest, type NginxTestRun } from '../check/nginx-test.js';
import { FatalError, diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { LoadedSpec } from '../load/load-spec.js';
import { report, type CommandContext, type CommandResult } from './context.js';

/** The nginx -t step of `gwctl test DIR`, `render --test` and `render --check --test`. */

export interface TestOptions {
  /** `--nginx PATH` */
  nginx?: string;
  /** `--spec SPEC`: the spec DIR was rendered from, to point nginx's errors at it. */
  spec?: string;
  /** render --test: keys and password files on the gateway host, replaced by stand-ins for nginx -t. */
  standInFor?: ReadonlySet<string>;
  /** Where to look after PATH (default: the usual install locations); tests pass []. */
  fallbacks?: readonly string[];
}

/**
 * The nginx -t step, shared by `gwctl test` and `gwctl render --test`. `shownAs`: the directory
 * messages name when `dir` is a staged copy of it.
 */
export async function nginxTestStep(
  dir: string,
  opts: TestOptions,
  ctx: CommandContext,
  loaded?: LoadedSpec,
  shownAs?: string,
): Promise<{ run: NginxTestRun; diagnostics: Diagnostic[]; extra: Record<string, unknown> }> {
  const found = findNginx({ explicit: opts.nginx, env: ctx.env ?? {}, cwd: ctx.cwd, fallbacks: opts.fallbacks });
  if ('problem' in found) throw new FatalError(found.problem);
  ctx.progress?.(`running ${found.binary} -t on ${shownAs ?? dir}`);
  const spec = loaded && isShape(loaded.data) ? { file: loaded.file, data: loaded.data } : undefined;
  const run = await runNginxTest({
    dir,
    binary: found.binary,
    cwd: ctx.cwd,
    spec,
    shownAs,
    standInFor: opts.standInFor,
    env: ctx.env ?? {},
  });
  const said = [...run.diagnostics];
  if (run.standIns)
    said.push({
      ...diag(
        'test.stand-in-keys',
        'info',
        `nginx -t ran with generated stand-in certificates and keys in the ${run.standIns} TLS context${run.standIns === 1 ? '' : 's'} whose key lives on the gateway host (hostPath): it proves the configuration, not those keys. On the host, gwctl test DIR checks the real ones`,
      ),
      file: join(shownAs ?? dir, 'nginx.conf'),
    });
  return {
    run,
    diagnostics: said,
    extra: {
      dir: shownAs ?? dir,
      nginx: { binary: run.binary, via: found.via, args: run.args, exitCode: run.exitCode ?? null, output: run.output },
      standIns: run.standIns,
    },
  };
}

function isShape(data: unknown): data is SpecShape {
  return typeof data === 'object' && data !== null && !Array.isArray(data);
}

/** `render --check --test`: the check's own report plus nginx -t on the output found up to date. */
export async function reportWithNginxTest(
  ctx: CommandContext,
  dir: string,
  opts: TestOptions,
  loaded: LoadedSpec,
  diagnostics: Diagnostic[],
  extra: Record<string, unknown>,
  summary: string,
): Promise<CommandResult> {
  const t = await nginxTestStep(dir, opts, ctx, loaded);
  return report(
    ctx,
    [...diagnostics, ...t.diagnostics],
    { ...extra, test: t.extra },
    `${summary}${t.run.binary} -t passed\n`,
    [],
    loaded,
  );
}
