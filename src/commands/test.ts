import { join, resolve } from 'node:path';
import { readConf } from '../check/nginx-test.js';
import { checkHostKeys } from '../check/host-keys.js';
import { guardNginxConf } from '../check/conf-guard.js';
import type { GatewaySpec } from '../load/spec-types.js';
import { FatalError, diag, hasFailures, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { LoadedSpec } from '../load/load-spec.js';
import { loadSpecOrEnvironment } from '../load/environment.js';
import { validateSchema } from '../validate/schema.js';
import { report, type CommandContext, type CommandResult } from './context.js';
import { nginxTestStep, type TestOptions } from './nginx-test-step.js';

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
  const keys = trusted ? checkHostKeys({ dir: abs, conf, spec }) : [];
  if (hasFailures(keys)) {
    // nginx -t would stop at the first of these keys: they are the findings, named once.
    const skipped = {
      ...diag(
        'test.not-run',
        'info',
        `nginx -t was not run: it would stop at the first of the key problems reported here; fix them, then run gwctl test ${dir} again`,
      ),
      file: join(abs, 'nginx.conf'),
    };
    return report(ctx, [...specProblems, ...keys, skipped], { dir: abs, nginx: null }, '', [], loaded);
  }
  const t = await nginxTestStep(abs, opts, ctx, loaded);
  return report(
    ctx,
    [...specProblems, ...keys, ...t.diagnostics],
    t.extra,
    `${dir}: ${t.run.binary} -t passed\n`,
    [],
    loaded,
  );
}

/**
 * --spec is only read to point nginx's errors at its fields, but a spec that is not YAML or not
 * a gateway spec at all must say so rather than pass silently (it cannot be what DIR came from).
 */
function specShapeProblems(loaded: LoadedSpec): Diagnostic[] {
  if (loaded.data === undefined) return loaded.diagnostics;
  return [...loaded.diagnostics, ...validateSchema(loaded.data)];
}
