import { workspaceRelative } from './paths.js';
import type { Diagnostic, Fatal, Severity } from '../diagnostics/diagnostic.js';
import { escapeUnsafe } from '../text/show.js';
import { boundDiagnostics, omittedLine } from './bound.js';

/**
 * GitHub Actions workflow commands, one per diagnostic:
 * `::error file=gateway.yaml,line=12,col=7,title=schema.unknown-key::unknown key "servrName"`.
 * The runner turns them into annotations on the pull request's diff.
 */
export interface GithubOptions {
  /** Paths are written relative to this directory (the workspace the workflow checked out). */
  cwd: string;
}

const COMMAND: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'notice' };

/** The message part: GitHub decodes %25, %0D and %0A there. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property value (file=, title=): additionally `:` and `,`, which separate properties. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** `fatal`: what stopped gwctl, one `::error` each (at the spec's file when it was one spec of several). */
export function formatGithub(
  diagnostics: readonly Diagnostic[],
  opts: GithubOptions,
  fatal: readonly Fatal[] = [],
): string {
  const stopped = fatal.map(
    (f): Diagnostic => ({ code: 'gwctl.fatal', severity: 'error', message: f.message, path: [], file: f.spec }),
  );
  const bounded = boundDiagnostics(diagnostics);
  const more = bounded.omitted.map(
    (o): Diagnostic => ({ code: o.code, severity: 'info', message: omittedLine(o), path: [] }),
  );
  return [...bounded.shown, ...more, ...stopped].map((d) => `${githubCommand(d, opts)}\n`).join('');
}

export function githubCommand(d: Diagnostic, opts: GithubOptions): string {
  // The runner prints the message in the job log: terminal escapes and bidi controls must not get there raw.
  const safe = (s: string) => escapeUnsafe(s, { keepLineBreaks: true });
  const props: string[] = [];
  if (d.file) {
    props.push(`file=${escapeProperty(safe(workspacePath(d.file, opts.cwd)))}`);
    if (d.line) props.push(`line=${d.line}`);
    if (d.line && d.column) props.push(`col=${d.column}`);
  }
  props.push(`title=${escapeProperty(safe(d.code))}`);
  return `::${COMMAND[d.severity]} ${props.join(',')}::${escapeData(safe(d.message))}`;
}

/** Relative to the workspace with `/` separators; a file outside it keeps its absolute path. */
function workspacePath(file: string, cwd: string): string {
  return workspaceRelative(file, cwd) ?? file;
}
