import { hasFailures, type Diagnostic, type Fatal, type Severity } from '../diagnostics/diagnostic.js';
import { formatGithub } from '../format/github.js';
import { formatHuman } from '../format/human.js';
import { diagnosticsJson, formatJson } from '../format/json.js';
import { formatSarif } from '../format/sarif.js';
import { positionAll, type LoadedSpec } from '../load/load-spec.js';
import { escapeUnsafe, escapeUnsafeLines } from '../text/show.js';

export type { Format } from '../cli-args.js';
import type { Format } from '../cli-args.js';

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
 * stderr, github workflow commands and the SARIF log to stdout, where CI reads them. `fatal` is
 * what stopped gwctl (exit 2): the machine formats carry it too, so a pipeline never reads an
 * empty stdout; it is also on stderr, one `gwctl: ...` line each, in every format.
 */
export function emitDiagnostics(
  ctx: Pick<CommandContext, 'format' | 'cwd' | 'version' | 'color'>,
  diagnostics: readonly Diagnostic[],
  fatal: readonly Fatal[] = [],
): { stdout: string; stderr: string } {
  const stopped = fatalLines(fatal);
  switch (ctx.format) {
    case 'github':
      return { stdout: formatGithub(diagnostics, ctx, fatal), stderr: stopped };
    case 'sarif':
      return {
        stdout: formatSarif(diagnostics, { cwd: ctx.cwd, toolVersion: ctx.version ?? '0.0.0' }, fatal),
        stderr: stopped,
      };
    default:
      return { stdout: '', stderr: formatHuman(diagnostics, ctx) + stopped };
  }
}

/** One `gwctl: ...` line per fatal error, for stderr. */
export function fatalLines(fatal: readonly Fatal[]): string {
  return fatal.map((f) => `gwctl: ${escapeUnsafe(f.message)}\n`).join('');
}

/** The JSON field for what stopped gwctl; absent when nothing did (the contract's shape, unchanged). */
export function fatalJson(fatal: readonly Fatal[]): { fatal?: { message: string; spec: string | null }[] } {
  return fatal.length ? { fatal: fatal.map((f) => ({ message: f.message, spec: f.spec ?? null })) } : {};
}

/**
 * The common report of validate, render and test: diagnostics, plus what was done. `spec`: the
 * document the diagnostics' spec paths point into; they are positioned here, once.
 */
export function report(
  ctx: CommandContext,
  found: Diagnostic[],
  extra: Record<string, unknown> = {},
  summary = '',
  fatal: readonly Fatal[] = [],
  spec?: LoadedSpec,
): CommandResult {
  const diagnostics = positionAll(spec, found);
  const exitCode = fatal.length ? 2 : exitFor(diagnostics, ctx);
  if (ctx.format === 'json') {
    return {
      exitCode,
      stdout: formatJson({
        ok: exitCode === 0,
        ...extra,
        ...fatalJson(fatal),
        ...diagnosticsJson(diagnostics),
      }),
      stderr: fatalLines(fatal),
    };
  }
  const out = emitDiagnostics(ctx, diagnostics, fatal);
  // SARIF is one JSON document: nothing else may share stdout with it.
  // The summary names DIR and other arguments as given: escaped line by line.
  const done = exitCode === 0 && ctx.format !== 'sarif' ? escapeUnsafeLines(summary) : '';
  return { exitCode, stdout: out.stdout + done, stderr: out.stderr };
}

/**
 * When gwctl stopped before any command could report (bad arguments, an unreadable spec): the
 * message in the requested format. `command` picks the JSON shape (verify-chain has `upstreams`).
 */
export function fatalResult(
  ctx: Pick<CommandContext, 'format' | 'cwd' | 'version' | 'color'>,
  message: string,
  command?: string,
): CommandResult {
  const fatal = [{ message }];
  if (ctx.format === 'json') {
    const shape = command === 'verify-chain' ? { upstreams: [] } : {};
    return {
      exitCode: 2,
      stdout: formatJson({ ok: false, ...shape, ...fatalJson(fatal), diagnostics: [] }),
      stderr: fatalLines(fatal),
    };
  }
  return { exitCode: 2, ...emitDiagnostics(ctx, [], fatal) };
}
