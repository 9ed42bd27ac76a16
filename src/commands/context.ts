import { hasFailures, type Diagnostic, type Severity } from '../diagnostics/diagnostic.js';
import { formatGithub } from '../format/github.js';
import { formatHuman } from '../format/human.js';
import { diagnosticJson, formatJson } from '../format/json.js';
import { formatSarif } from '../format/sarif.js';
import { escapeUnsafe } from '../validate/show.js';

export const FORMATS = ['human', 'json', 'github', 'sarif'] as const;
export type Format = (typeof FORMATS)[number];

/** What a command needs from the outside world; cli.ts fills it from the process. */
export interface CommandContext {
  format: Format;
  failSeverity: Severity;
  color: boolean;
  cwd: string;
  now: Date;
  /** The environment, for commands that look for other programs (GWCTL_NGINX, PATH). */
  env?: Readonly<Record<string, string | undefined>>;
  /** gwctl's own version (SARIF names it). */
  version?: string;
  /** Tells a person at a terminal what a long run is doing; cli.ts makes it a no-op elsewhere. */
  progress?: (message: string) => void;
}

export interface CommandResult {
  exitCode: 0 | 1 | 2;
  stdout: string;
  stderr: string;
}

export function exitFor(diagnostics: readonly Diagnostic[], ctx: CommandContext): 0 | 1 {
  return hasFailures(diagnostics, ctx.failSeverity) ? 1 : 0;
}

/**
 * Diagnostics in every format but json (whose shape belongs to each command): human goes to
 * stderr, github workflow commands and the SARIF log to stdout, where CI reads them.
 */
export function emitDiagnostics(ctx: CommandContext, diagnostics: readonly Diagnostic[]): { stdout: string; stderr: string } {
  switch (ctx.format) {
    case 'github': return { stdout: formatGithub(diagnostics, ctx), stderr: '' };
    case 'sarif': return { stdout: formatSarif(diagnostics, { cwd: ctx.cwd, toolVersion: ctx.version ?? '0.0.0' }), stderr: '' };
    default: return { stdout: '', stderr: formatHuman(diagnostics, ctx) };
  }
}

/** The common report of validate, render and test: diagnostics, plus what was done. */
export function report(ctx: CommandContext, diagnostics: Diagnostic[], extra: Record<string, unknown> = {}, summary = ''): CommandResult {
  const exitCode = exitFor(diagnostics, ctx);
  if (ctx.format === 'json') {
    return { exitCode, stdout: formatJson({ ok: exitCode === 0, ...extra, diagnostics: diagnostics.map(diagnosticJson) }), stderr: '' };
  }
  const out = emitDiagnostics(ctx, diagnostics);
  // SARIF is one JSON document: nothing else may share stdout with it.
  // The summary names DIR and other arguments as given: escaped line by line.
  const done = exitCode === 0 && ctx.format !== 'sarif' ? summary.split('\n').map((l) => escapeUnsafe(l)).join('\n') : '';
  return { exitCode, stdout: out.stdout + done, stderr: out.stderr };
}
