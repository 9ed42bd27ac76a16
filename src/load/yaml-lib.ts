import { createRequire } from 'node:module';

/**
 * The `yaml` package, loaded on first use. A plain spec (plain-yaml.ts) never needs it, and
 * loading it (some 70 modules, a third of the chunk every command loads) cost each command
 * some 15 ms (docs/startup.md). CommonJS, so it can be required synchronously where a spec is read.
 */
let lib: typeof import('yaml') | undefined;

export function yamlLib(): typeof import('yaml') {
  lib ??= createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return lib;
}

/**
 * yaml's LineCounter (the same positions: a 1-based line, and the column counted from 1 on it),
 * for text yaml does not parse: read by plain-yaml.ts, or refused before parsing.
 */
export class LineStarts {
  readonly lineStarts: number[] = [];

  constructor(text: string) {
    this.lineStarts.push(0);
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
  }

  linePos(offset: number): { line: number; col: number } {
    let low = 0;
    let high = this.lineStarts.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.lineStarts[mid] < offset) low = mid + 1;
      else high = mid;
    }
    if (this.lineStarts[low] === offset) return { line: low + 1, col: 1 };
    if (low === 0) return { line: 0, col: offset };
    return { line: low, col: offset - this.lineStarts[low - 1] + 1 };
  }
}
