import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { checkSpec } from '../pipeline/check-spec.js';
import { PemFiles } from '../tls/pem-files.js';
import { report, type CommandContext, type CommandResult } from './context.js';

/** `gwctl validate SPEC...`: several specs at once, as a pre-commit hook passes them. */
export function validateCommand(specPaths: string | readonly string[], ctx: CommandContext): CommandResult {
  const specs = typeof specPaths === 'string' ? [specPaths] : specPaths;
  const diagnostics: Diagnostic[] = [];
  const files: string[] = [];
  const pemFiles = new PemFiles();
  for (const [i, specPath] of specs.entries()) {
    if (specs.length > 1) ctx.progress?.(`validating ${specPath} (${i + 1}/${specs.length})`);
    const checked = checkSpec(specPath, ctx.cwd, pemFiles);
    diagnostics.push(...checked.diagnostics);
    files.push(checked.loaded.file);
  }
  const extra = files.length === 1 ? { spec: files[0] } : { specs: files };
  return report(ctx, diagnostics, extra, specs.map((s) => `${s}: valid\n`).join(''));
}
