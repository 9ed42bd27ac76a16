import { resolve } from 'node:path';
import { findNginx } from '../check/find-nginx.js';
import { runNginxTest, type NginxTestRun } from '../check/nginx-test.js';
import type { SpecShape } from '../check/map-errors.js';
import { FatalError, type Diagnostic } from '../diagnostics/diagnostic.js';
import { loadSpec, positionDiagnostics, type LoadedSpec } from '../load/load-spec.js';
import { validateSchema } from '../validate/schema.js';
import { report, type CommandContext, type CommandResult } from './context.js';

export interface TestOptions {
  /** `--nginx PATH` */
  nginx?: string;
  /** `--spec SPEC`: the spec DIR was rendered from, to point nginx's errors at it. */
  spec?: string;
  /** Where to look after PATH (default: the usual install locations); tests pass []. */
  fallbacks?: readonly string[];
}

/** `gwctl test DIR`: `nginx -t` (or `openresty -t`) on a rendered output directory. */
export async function testCommand(dir: string, opts: TestOptions, ctx: CommandContext): Promise<CommandResult> {
  if (dir === '')
    throw new FatalError('the directory to test is empty: name the rendered output directory (e.g. gwctl test out/)');
  const loaded = opts.spec !== undefined ? loadSpec(opts.spec, ctx.cwd) : undefined;
  const specProblems = loaded ? specShapeProblems(loaded) : [];
  const t = await nginxTestStep(resolve(ctx.cwd, dir), opts, ctx, loaded);
  return report(ctx, [...specProblems, ...t.diagnostics], t.extra, `${dir}: ${t.run.binary} -t passed\n`);
}

/**
 * --spec is only read to point nginx's errors at its fields, but a spec that is not YAML or not
 * a gateway spec at all must say so rather than pass silently (it cannot be what DIR came from).
 */
function specShapeProblems(loaded: LoadedSpec): Diagnostic[] {
  if (loaded.data === undefined) return loaded.diagnostics;
  return positionDiagnostics(loaded, [...loaded.diagnostics, ...validateSchema(loaded.data)]);
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
  const run = await runNginxTest({ dir, binary: found.binary, cwd: ctx.cwd, spec, shownAs, env: ctx.env ?? {} });
  const diagnostics = loaded ? positionDiagnostics(loaded, run.diagnostics) : run.diagnostics;
  return {
    run,
    diagnostics,
    extra: {
      dir: shownAs ?? dir,
      nginx: { binary: run.binary, via: found.via, args: run.args, exitCode: run.exitCode ?? null, output: run.output },
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
  );
}
