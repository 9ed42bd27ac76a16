import { join, resolve } from 'node:path';
import { analyzeTls } from '../analyze/analyze-tls.js';
import { error, hasFailures, type Diagnostic } from '../diagnostics/diagnostic.js';
import { positionDiagnostics } from '../load/load-spec.js';
import { checkSpec } from '../pipeline/check-spec.js';
import { plan } from '../plan/plan.js';
import type { OutputFile } from '../plan/render-model.js';
import { QuoteError } from '../render/quote.js';
import { renderNginxConf } from '../render/templates.js';
import { diffOutput, writeOutput } from '../render/write-output.js';
import { exitFor, report, type CommandContext, type CommandResult } from './context.js';
import type { TestOptions } from './test.js';

export interface RenderOptions {
  out: string;
  check: boolean;
  warnDays: number;
  /** `--test`: nginx -t on DIR once written (with --check: once found up to date). */
  test?: TestOptions;
}

/** validate → verify → plan → render → write (or compare, with --check). Nothing is written unless every step passed. */
export async function renderCommand(specPath: string, opts: RenderOptions, ctx: CommandContext): Promise<CommandResult> {
  const outDir = resolve(ctx.cwd, opts.out);
  const checked = checkSpec(specPath, ctx.cwd);
  let diagnostics = checked.diagnostics;
  if (!checked.spec || !checked.material || hasFailures(diagnostics)) return report(ctx, diagnostics);
  ctx.progress?.(`verifying the upstream chains of ${specPath}`);
  const analysis = analyzeTls(checked.spec, checked.material, { at: ctx.now, warnDays: opts.warnDays });
  diagnostics = [...diagnostics, ...positionDiagnostics(checked.loaded, analysis.diagnostics)];
  if (hasFailures(diagnostics)) return report(ctx, diagnostics);

  ctx.progress?.(`rendering ${specPath}`);
  let files: OutputFile[];
  try {
    const model = plan({
      spec: checked.spec, specFile: checked.loaded.file, specDir: checked.loaded.dir, outDir, material: checked.material,
      verifyDepths: new Map(analysis.upstreams.map((u) => [u.name, u.verifyDepth])),
    });
    files = [{ path: 'nginx.conf', content: renderNginxConf(model) }, ...model.files];
  } catch (e) {
    if (!(e instanceof QuoteError)) throw e;
    return report(ctx, positionDiagnostics(checked.loaded, [...diagnostics, error('render.unquotable', `cannot render safely: ${e.message}`)]));
  }

  // The report, after `nginx -t` on DIR when --test asked for it and nothing failed so far.
  const finish = async (all: Diagnostic[], extra: Record<string, unknown>, summary: string): Promise<CommandResult> => {
    if (opts.test && exitFor(all, ctx) === 0) return (await import('./test.js')).reportWithNginxTest(ctx, outDir, opts.test, checked.loaded, all, extra, summary);
    return report(ctx, all, extra, summary);
  };
  if (opts.check) {
    const drift = diffOutput(outDir, files);
    const driftDiagnostics: Diagnostic[] = drift.map((d) => ({ ...error('render.drift', `${d === '.' ? `${opts.out}: does not exist` : join(opts.out, d)} (run gwctl render ${specPath} --out ${opts.out})`), file: outDir }));
    return finish([...diagnostics, ...driftDiagnostics], { out: outDir, drift }, `${opts.out}: up to date\n`);
  }
  if (exitFor(diagnostics, ctx) !== 0) return report(ctx, diagnostics);
  const { changed } = writeOutput(outDir, files);
  return finish(diagnostics, { out: outDir, changed }, `${opts.out}: ${changed.length ? `wrote ${changed.join(', ')}` : 'already up to date'}\n`);
}
