import { join, resolve } from 'node:path';
import { findNginx } from '../check/find-nginx.js';
import { readConf, runNginxTest, type NginxTestRun } from '../check/nginx-test.js';
import { checkHostKeys } from '../check/host-keys.js';
import { guardNginxConf } from '../check/conf-guard.js';
import type { GatewaySpec } from '../load/spec-types.js';
import type { SpecShape } from '../check/map-errors.js';
import { FatalError, diag, hasFailures, type Diagnostic } from '../diagnostics/diagnostic.js';
import { positionDiagnostics, type LoadedSpec } from '../load/load-spec.js';
import { loadSpecOrEnvironment } from '../load/environment.js';
import { validateSchema } from '../validate/schema.js';
import { report, type CommandContext, type CommandResult } from './context.js';

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

/** `gwctl test DIR`: `nginx -t` (or `openresty -t`) on a rendered output directory. */
export async function testCommand(dir: string, opts: TestOptions, ctx: CommandContext): Promise<CommandResult> {
  if (dir === '')
    throw new FatalError('the directory to test is empty: name the rendered output directory (e.g. gwctl test out/)');
  const loaded = opts.spec !== undefined ? loadSpecOrEnvironment(opts.spec, ctx.cwd) : undefined;
  const specProblems = loaded ? specShapeProblems(loaded) : [];
  const abs = resolve(ctx.cwd, dir);
  const spec =
    loaded && !hasFailures(specProblems)
      ? { file: loaded.file, data: loaded.data as GatewaySpec, dir: loaded.dir }
      : undefined;
  const conf = readConf(abs);
  // A committed nginx.conf is untrusted input: the guard refuses what gwctl never writes (an
  // engine key, a module) before any key it names is opened; nginxTestStep reports the refusal.
  const trusted =
    guardNginxConf(conf, { dir: abs, confShown: join(abs, 'nginx.conf'), env: ctx.env ?? {} }).length === 0;
  const keyProblems = trusted ? checkHostKeys({ dir: abs, conf, spec }) : [];
  const keys = loaded ? positionDiagnostics(loaded, keyProblems) : keyProblems;
  if (hasFailures(keys)) {
    // nginx -t would stop at the first of these keys: they are the findings, named once.
    const skipped = {
      ...diag(
        'test.not-run',
        'info',
        `nginx -t was not run: it would stop at the first key problem above; fix those, then run gwctl test ${dir} again`,
      ),
      file: join(abs, 'nginx.conf'),
    };
    return report(ctx, [...specProblems, ...keys, skipped], { dir: abs, nginx: null }, '');
  }
  const t = await nginxTestStep(abs, opts, ctx, loaded);
  return report(ctx, [...specProblems, ...keys, ...t.diagnostics], t.extra, `${dir}: ${t.run.binary} -t passed\n`);
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
  const diagnostics = loaded ? positionDiagnostics(loaded, said) : said;
  return {
    run,
    diagnostics,
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
  );
}
