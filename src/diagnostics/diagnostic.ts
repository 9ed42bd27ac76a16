import type { Fix } from './fix.js';

/** One shape for every problem gwctl reports: YAML syntax, schema, files, chains, nginx -t. */
export type Severity = 'error' | 'warning' | 'info';

export type SpecPath = readonly (string | number)[];

export interface Diagnostic {
  /** Stable identifier, used in output, docs and tests (e.g. `schema.unknown-key`). */
  code: string;
  severity: Severity;
  message: string;
  /** Where in the spec the problem lives, as keys from the document root. */
  path: SpecPath;
  /** The file the position refers to (the spec, or a certificate file). */
  file?: string;
  line?: number;
  column?: number;
  /** The advised change, machine-readable (chain findings); the message says the same in words. */
  fix?: Fix;
}

/**
 * Several specs checked in one run can share a file (an environment file and its base): a finding
 * in that file, at the same place and in the same words, is one finding, reported once.
 */
export function withoutRepeats(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    if (d.file === undefined) return true;
    const key = JSON.stringify([d.file, d.line, d.column, d.code, d.severity, d.message, d.path]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

export function diag(code: string, severity: Severity, message: string, path: SpecPath = []): Diagnostic {
  return { code, severity, message, path };
}

export const error = (code: string, message: string, path: SpecPath = []): Diagnostic =>
  diag(code, 'error', message, path);
export const warning = (code: string, message: string, path: SpecPath = []): Diagnostic =>
  diag(code, 'warning', message, path);

export function hasFailures(diagnostics: readonly Diagnostic[], failAt: Severity = 'error'): boolean {
  return diagnostics.some((d) => SEVERITY_RANK[d.severity] >= SEVERITY_RANK[failAt]);
}

/** `$.upstreams.orders.tls.serverName`, `$.routes[0].path` */
export function formatPath(path: SpecPath): string {
  let out = '$';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Thrown when gwctl cannot do its job at all (exit 2): unreadable spec, bad arguments. */
export class FatalError extends Error {
  constructor(
    message: string,
    readonly diagnostics: Diagnostic[] = [],
  ) {
    super(message);
    this.name = 'FatalError';
  }
}

/** A FatalError as machine formats report it; `spec` when it stopped one spec of several. */
export interface Fatal {
  message: string;
  spec?: string;
}
