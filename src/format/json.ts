import { formatPath, type Diagnostic } from '../diagnostics/diagnostic.js';

/** A diagnostic as JSON consumers see it: the path as a `$.a.b` string. */
export function diagnosticJson(d: Diagnostic) {
  return {
    severity: d.severity,
    code: d.code,
    message: d.message,
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
