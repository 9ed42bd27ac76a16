import { resolve } from 'node:path';
import { FatalError, type Diagnostic } from '../diagnostics/diagnostic.js';
import { loadSpec, positionDiagnostics, type LoadedSpec } from '../load/load-spec.js';
import { validateSchema } from '../validate/schema.js';
import { report, type CommandContext, type CommandResult } from './context.js';
import { nginxTestStep, type TestOptions } from './nginx-test-step.js';

export type { TestOptions } from './nginx-test-step.js';

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
