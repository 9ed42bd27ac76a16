import { basename, join, resolve } from 'node:path';
import { analyzeTls } from '../analyze/analyze-tls.js';
import { FatalError, diag, error, hasFailures, type Diagnostic } from '../diagnostics/diagnostic.js';
import { hostPaths } from '../load/file-ref.js';
import { checkSpec } from '../pipeline/check-spec.js';
import { plan } from '../plan/plan.js';
import type { OutputFile } from '../plan/render-model.js';
import { QuoteError } from '../text/quote.js';
import { renderOutput } from '../render/manifest.js';
import { assessOutDir, realOutDir } from '../render/output-dir.js';
import { driftLines, driftOf, writeOutput, type WriteResult } from '../render/write-output.js';
import { describeDiff, outputDiff } from '../render/output-diff.js';
import { escapeUnsafeLines } from '../text/show.js';
import { exitFor, report, type CommandContext, type CommandResult } from './context.js';
import type { TestOptions } from './nginx-test-step.js';

export interface RenderOptions {
  out: string;
  check: boolean;
  warnDays: number;
  /** `--test`: nginx -t on DIR once written (with --check: once found up to date). */
  test?: TestOptions;
}

/** validate → verify → plan → render → write (or compare, with --check). Nothing is written unless every step passed. */
export async function renderCommand(
  specPath: string,
  opts: RenderOptions,
  ctx: CommandContext,
): Promise<CommandResult> {
  // An unset variable in CI (`--out "$OUT"`) must not mean the current directory.
  if (opts.out === '') throw new FatalError('--out is empty: name the output directory (e.g. --out out/)');
  const outDir = resolve(ctx.cwd, opts.out);
  // nginx resolves relative paths from DIR after following symlinks (`--out current` -> releases/r1).
  const realDir = realOutDir(outDir);
  assessOutDir(realDir); // refuses a directory that is not gwctl's before any work
  const checked = checkSpec(specPath, ctx.cwd);
  let diagnostics = checked.diagnostics;
  if (!checked.spec || !checked.material || hasFailures(diagnostics))
    return report(ctx, diagnostics, {}, '', [], checked.loaded);
  ctx.progress?.(`verifying the upstream chains of ${specPath}`);
  const analysis = analyzeTls(checked.spec, checked.material, {
    at: ctx.now,
    warnDays: opts.warnDays,
    specArg: specPath,
  });
  diagnostics = [...diagnostics, ...analysis.diagnostics];
  if (hasFailures(diagnostics)) return report(ctx, diagnostics, {}, '', [], checked.loaded);

  // nginx -t here cannot open keys that live only on the gateway host: stand-ins take their place.
  const testWith = opts.test && { ...opts.test, standInFor: hostPaths(checked.spec) };

  ctx.progress?.(`rendering ${specPath}`);
  let files: OutputFile[];
  try {
    const specFile = checked.loaded.overlay?.loaded.file ?? checked.loaded.file;
    const model = plan({
      spec: checked.spec,
      specFile,
      specDir: checked.loaded.dir,
      outDir: realDir,
      material: checked.material,
      verifyDepths: new Map(analysis.upstreams.map((u) => [u.name, u.verifyDepth])),
    });
    files = renderOutput(model, basename(specFile));
  } catch (e) {
    if (!(e instanceof QuoteError)) throw e;
    return report(
      ctx,
      [...diagnostics, error('render.unquotable', `cannot render safely: ${e.message}`)],
      {},
      '',
      [],
      checked.loaded,
    );
  }

  if (opts.check) {
    const found = driftOf(realDir, files);
    const drift = driftLines(found);
    const driftDiagnostics: Diagnostic[] = drift.map((d) => ({
      ...error(
        'render.drift',
        `${d === '.' ? `${opts.out}: does not exist` : join(opts.out, d)} (run gwctl render ${specPath} --out ${opts.out})`,
      ),
      file: outDir,
    }));
    // A DIR that does not exist yet differs as an empty one does: every file would be added.
    const missing = files.map((f) => ({ path: f.path, kind: 'missing' as const }));
    const diff = await outputDiff(realDir, opts.out, files, found === 'no-dir' ? missing : found);
    const all = [...diagnostics, ...driftDiagnostics];
    const extra = { out: outDir, drift, diff };
    // nginx -t on DIR only once it is found up to date.
    if (testWith && exitFor(all, ctx) === 0)
      return (await import('./nginx-test-step.js')).reportWithNginxTest(
        ctx,
        realDir,
        testWith,
        checked.loaded,
        all,
        extra,
        `${opts.out}: up to date\n`,
      );
    const result = report(ctx, all, extra, `${opts.out}: up to date\n`, [], checked.loaded);
    // The difference itself, as `git diff` shows one: on stdout, the findings on stderr.
    if (ctx.format === 'human' && diff && drift.length)
      return { ...result, stdout: escapeUnsafeLines(describeDiff(diff)) + result.stdout };
    return result;
  }
  if (exitFor(diagnostics, ctx) !== 0) return report(ctx, diagnostics, {}, '', [], checked.loaded);

  // --test: nginx -t on the staged output, before it replaces anything in DIR.
  let tested: Awaited<ReturnType<typeof import('./nginx-test-step.js').nginxTestStep>> | undefined;
  const testOpts = testWith;
  const verifyStaged =
    testOpts &&
    (async (staged: string) => {
      tested = await (await import('./nginx-test-step.js')).nginxTestStep(
        staged,
        testOpts,
        ctx,
        checked.loaded,
        realDir,
      );
      return exitFor(tested.diagnostics, ctx) === 0;
    });
  const result = await writeOutput(realDir, files, { verifyStaged });
  const all = [...diagnostics, ...(tested?.diagnostics ?? [])];
  if (!result.committed)
    all.push({
      ...diag(
        'render.kept',
        'info',
        `nginx -t rejected the new output (the lines named above are of the new nginx.conf, which was not written); ${opts.out} was left as it was`,
      ),
      file: outDir,
    });
  const extra = {
    out: outDir,
    changed: [...result.written, ...result.removed],
    removed: result.removed,
    ...(tested ? { test: tested.extra } : {}),
  };
  return report(
    ctx,
    all,
    extra,
    `${opts.out}: ${describeChanges(result)}\n${tested ? `${tested.run.binary} -t passed\n` : ''}`,
    [],
    checked.loaded,
  );
}

/** "wrote tls/a.pem, nginx.conf; removed tls/b.pem" */
function describeChanges(r: WriteResult): string {
  const parts = [
    r.written.length ? `wrote ${r.written.join(', ')}` : '',
    r.removed.length ? `removed ${r.removed.join(', ')}` : '',
  ];
  return parts.filter(Boolean).join('; ') || 'already up to date';
}
