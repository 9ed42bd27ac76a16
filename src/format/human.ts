import { workspaceRelative } from './paths.js';
import type { Diagnostic, Severity } from '../diagnostics/diagnostic.js';
import { escapeUnsafe } from '../text/show.js';
import { boundDiagnostics, omittedLine } from './bound.js';

export interface HumanOptions {
  color: boolean;
  cwd: string;
}

const COLORS: Record<Severity, string> = { error: '\u001b[31m', warning: '\u001b[33m', info: '\u001b[36m' };
const RESET = '\u001b[0m';
const DIM = '\u001b[2m';

/** `file:line:column  severity  message  [code]`, grouped by file, then a one-line summary. */
export function formatHuman(diagnostics: readonly Diagnostic[], opts: HumanOptions): string {
  const paint = (s: string, c: string) => (opts.color ? `${c}${s}${RESET}` : s);
  const bounded = boundDiagnostics(diagnostics);
  const byFile = new Map<string, Diagnostic[]>();
  for (const d of bounded.shown) {
    const f = d.file ? escapeUnsafe(shown(d.file, opts.cwd)) : '(spec)';
    const list = byFile.get(f);
    if (list) list.push(d);
    else byFile.set(f, [d]);
  }
  const lines: string[] = [];
  for (const [file, ds] of byFile) {
    ds.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    for (const d of ds) {
      const where = `${file}:${d.line ?? 1}:${d.column ?? 1}`;
      // Messages quote certificates, arguments and nginx's output: one record per line, no escapes reach the terminal.
      lines.push(
        `${where}  ${paint(d.severity.padEnd(7), COLORS[d.severity])}  ${escapeUnsafe(d.message)}  ${paint(`[${escapeUnsafe(d.code)}]`, DIM)}`,
      );
    }
  }
  for (const o of bounded.omitted) lines.push(paint(escapeUnsafe(omittedLine(o)), DIM));
  const count = (s: Severity) => diagnostics.filter((d) => d.severity === s).length;
  if (diagnostics.length) lines.push(`${count('error')} error(s), ${count('warning')} warning(s)`);
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** Relative to the working directory when inside it; otherwise the absolute path (no `../../..`). */
function shown(file: string, cwd: string): string {
  return workspaceRelative(file, cwd) ?? file;
}
