import { diag, type Diagnostic, type Severity, type SpecPath } from '../../diagnostics/diagnostic.js';
import { locate, type LoadedSpec } from '../../load/load-spec.js';

/**
 * What the import has to say, each at its place in the Kong file: line and column come from the
 * YAML document, as they do for spec errors, so an editor or CI annotation lands on the Kong line.
 */
export class Findings {
  readonly list: Diagnostic[] = [];
  constructor(private readonly kong: Pick<LoadedSpec, 'nodes' | 'lines' | 'file'>) {}

  add(code: string, severity: Severity, message: string, path: SpecPath, onKey = false): void {
    const pos = locate(this.kong, path, onKey);
    this.list.push({
      ...diag(code, severity, message, path),
      file: this.kong.file,
      line: pos?.line ?? 1,
      column: pos?.column ?? 1,
    });
  }

  error(code: string, message: string, path: SpecPath): void {
    this.add(code, 'error', message, path);
  }

  warn(code: string, message: string, path: SpecPath): void {
    this.add(code, 'warning', message, path);
  }

  /** A field gwctl has no equivalent for: listed at its key, never dropped silently. */
  notMapped(path: SpecPath, message: string): void {
    this.add('kong.not-mapped', 'warning', message, path, true);
  }

  get failed(): boolean {
    return this.list.some((d) => d.severity === 'error');
  }
}
