import { formatPath, type Diagnostic } from '../diagnostics/diagnostic.js';
import { boundDiagnostics, boundMessage } from './bound.js';

/** A diagnostic as JSON consumers see it: the path as a `$.a.b` string. */
export function diagnosticJson(d: Diagnostic) {
  return {
    severity: d.severity,
    code: d.code,
    message: boundMessage(d.message),
    path: formatPath(d.path),
    file: d.file ?? null,
    line: d.line ?? 0,
    column: d.column ?? 0,
    ...(d.fix ? { fix: d.fix } : {}),
  };
}

export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * A command's `diagnostics` array, bounded: the first MAX_PER_CODE of each code, and `omitted`
 * ({code, severity, count} per code left out) only when something was. `ok` and the exit code
 * are decided on all of them.
 */
export function diagnosticsJson(diagnostics: readonly Diagnostic[]): {
  diagnostics: ReturnType<typeof diagnosticJson>[];
  omitted?: { code: string; severity: string; count: number }[];
} {
  const { shown, omitted } = boundDiagnostics(diagnostics);
  return { diagnostics: shown.map(diagnosticJson), ...(omitted.length ? { omitted } : {}) };
}
