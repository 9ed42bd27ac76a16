import { FatalError, withoutRepeats, type Diagnostic, type Fatal } from '../diagnostics/diagnostic.js';
import { positionAll } from '../load/load-spec.js';
import { checkSpecAsync } from '../pipeline/check-spec.js';
import { PemFiles } from '../tls/pem-files.js';
import { report, type CommandContext, type CommandResult } from './context.js';

/**
 * `gwctl validate SPEC...`: several specs at once, as a pre-commit hook passes them. A spec that
 * cannot be read does not hide the others' findings: it is reported beside them, and exits 2.
 */
export async function validateCommand(
  specPaths: string | readonly string[],
  ctx: CommandContext,
): Promise<CommandResult> {
  const specs = typeof specPaths === 'string' ? [specPaths] : specPaths;
  const diagnostics: Diagnostic[] = [];
  const files: string[] = [];
  const fatal: Fatal[] = [];
  const pemFiles = new PemFiles();
  for (const [i, specPath] of specs.entries()) {
    if (specs.length > 1) ctx.progress?.(`validating ${specPath} (${i + 1}/${specs.length})`);
    try {
      const checked = await checkSpecAsync(specPath, ctx.cwd, pemFiles);
      // Several specs share one report: each is positioned in its own document as its run ends.
      diagnostics.push(...positionAll(checked.loaded, checked.diagnostics));
      files.push(checked.loaded.file);
    } catch (e) {
      if (!(e instanceof FatalError)) throw e;
      fatal.push({ message: e.message, spec: specPath });
    }
  }
  const extra = specs.length === 1 ? { spec: files[0] } : { specs: files };
  return report(ctx, withoutRepeats(diagnostics), extra, specs.map((s) => `${s}: valid\n`).join(''), fatal);
}
