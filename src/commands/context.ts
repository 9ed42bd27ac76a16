import { hasFailures, type Diagnostic, type Severity } from '../diagnostics/diagnostic.js';
import { formatHuman } from '../format/human.js';
import { diagnosticJson, formatJson } from '../format/json.js';

export type Format = 'human' | 'json';

/** What a command needs from the outside world; cli.ts fills it from the process. */
export interface CommandContext {
  format: Format;
  failSeverity: Severity;
  color: boolean;
  cwd: string;
  now: Date;
}

export interface CommandResult {
  exitCode: 0 | 1 | 2;
  stdout: string;
  stderr: string;
}

export function exitFor(diagnostics: readonly Diagnostic[], ctx: CommandContext): 0 | 1 {
  return hasFailures(diagnostics, ctx.failSeverity) ? 1 : 0;
}

/** The common report of validate and render: diagnostics, plus what was done. */
export function report(ctx: CommandContext, diagnostics: Diagnostic[], extra: Record<string, unknown> = {}, summary = ''): CommandResult {
  const exitCode = exitFor(diagnostics, ctx);
  if (ctx.format === 'json') {
    return { exitCode, stdout: formatJson({ ok: exitCode === 0, ...extra, diagnostics: diagnostics.map(diagnosticJson) }), stderr: '' };
  }
  return { exitCode, stdout: exitCode === 0 ? summary : '', stderr: formatHuman(diagnostics, ctx) + (exitCode !== 0 && summary ? '' : '') };
}
