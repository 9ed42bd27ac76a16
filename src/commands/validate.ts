import { checkSpec } from '../pipeline/check-spec.js';
import { report, type CommandContext, type CommandResult } from './context.js';

export function validateCommand(specPath: string, ctx: CommandContext): CommandResult {
  const checked = checkSpec(specPath, ctx.cwd);
  return report(ctx, checked.diagnostics, { spec: checked.loaded.file }, `${specPath}: valid\n`);
}
