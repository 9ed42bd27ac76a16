import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Document, LineCounter, parseDocument, isMap, isSeq, isPair, isScalar, type Node } from 'yaml';
import { FatalError, error, type Diagnostic, type SpecPath } from '../diagnostics/diagnostic.js';

/** Specs are hand-written; anything larger is a mistake or an attack. */
export const MAX_SPEC_BYTES = 4 * 1024 * 1024;
/** Nesting deeper than this cannot be a gateway spec and risks the parser's stack. */
export const MAX_NESTING = 64;

export interface LoadedSpec {
  file: string;
  dir: string;
  /** Plain data, or undefined when the YAML itself is broken. */
  data: unknown;
  doc: Document;
  lines: LineCounter;
  diagnostics: Diagnostic[];
}

/** Reads and parses a spec. Throws FatalError (exit 2) only when the file cannot be read at all. */
export function loadSpec(specPath: string, cwd: string): LoadedSpec {
  const file = resolve(cwd, specPath);
  let text: string;
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw new FatalError(`${specPath}: is a directory, not a spec file`);
    if (st.size > MAX_SPEC_BYTES) throw new FatalError(`${specPath}: ${st.size} bytes is larger than the ${MAX_SPEC_BYTES}-byte limit for a spec`);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof FatalError) throw e;
    throw new FatalError(`${specPath}: cannot read the spec (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseSpecText(text, file);
}

export function parseSpecText(text: string, file: string): LoadedSpec {
  const lines = new LineCounter();
  const base = { file, dir: dirname(file), lines };
  if (text.includes('\u0000')) {
    const doc = new Document();
    countLines(lines, text);
    return { ...base, doc, data: undefined, diagnostics: [at(error('yaml.binary', 'the spec contains NUL bytes: it is binary, not YAML'), text, text.indexOf('\u0000'), lines, file)] };
  }
  const depthProblem = tooDeep(text);
  if (depthProblem >= 0) {
    const doc = new Document();
    countLines(lines, text);
    return { ...base, doc, data: undefined, diagnostics: [at(error('yaml.too-deep', `the spec nests deeper than ${MAX_NESTING} levels`), text, depthProblem, lines, file)] };
  }
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, strict: true, version: '1.2' });
  const diagnostics: Diagnostic[] = [];
  for (const e of doc.errors) {
    const code = e.code === 'DUPLICATE_KEY' ? 'yaml.duplicate-key' : 'yaml.syntax';
    diagnostics.push(at(error(code, firstLine(e.message)), text, e.pos[0], lines, file));
  }
  for (const w of doc.warnings) diagnostics.push(at({ ...error('yaml.warning', firstLine(w.message)), severity: 'warning' }, text, w.pos[0], lines, file));
  if (diagnostics.some((d) => d.severity === 'error')) return { ...base, doc, data: undefined, diagnostics };
  let data: unknown;
  try {
    // A small alias budget defeats "billion laughs" documents; real specs rarely use aliases at all.
    data = doc.toJS({ maxAliasCount: 50 });
  } catch (e) {
    diagnostics.push({ ...error('yaml.aliases', `the spec expands too many aliases (${(e as Error).message})`), file, line: 1, column: 1 });
    return { ...base, doc, data: undefined, diagnostics };
  }
  return { ...base, doc, data, diagnostics };
}

/** For input refused before parsing: positions still need line numbers. */
function countLines(lines: LineCounter, text: string): void {
  lines.addNewLine(0);
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lines.addNewLine(i + 1);
}

function firstLine(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+.*$/, '');
}

function at(d: Diagnostic, _text: string, offset: number, lines: LineCounter, file: string): Diagnostic {
  const pos = lines.linePos(Math.max(0, offset));
  return { ...d, file, line: pos.line, column: pos.col };
}

/** Cheap pre-scan for flow/indent nesting before handing text to a recursive parser. */
function tooDeep(text: string): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\n') quote = null;
      continue;
    }
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') {
      if (++depth > MAX_NESTING) return i;
    } else if (c === ']' || c === '}') depth = Math.max(0, depth - 1);
  }
  const indent = /^( *)\S/gm;
  let m: RegExpExecArray | null;
  while ((m = indent.exec(text))) if (m[1].length > MAX_NESTING * 4) return m.index;
  return -1;
}

export interface Position {
  line: number;
  column: number;
}

/**
 * Finds the line and column of a spec path. `key` points at the mapping key (for unknown or
 * misspelt keys) rather than its value. Falls back to the closest existing parent.
 */
export function locate(spec: Pick<LoadedSpec, 'doc' | 'lines'>, path: SpecPath, key = false): Position | undefined {
  let node: unknown = spec.doc.contents;
  let found: Node | undefined = isNodeLike(node) ? (node as Node) : undefined;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      if (last && key && isNodeLike(pair.key)) { found = pair.key as Node; break; }
      node = pair.value;
      found = isNodeLike(pair.value) ? (pair.value as Node) : (pair.key as Node);
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (!isNodeLike(item)) break;
      node = item;
      found = item as Node;
    } else break;
  }
  const range = found?.range;
  if (!range) return undefined;
  const pos = spec.lines.linePos(range[0]);
  return { line: pos.line, column: pos.col };
}

function isNodeLike(n: unknown): boolean {
  return typeof n === 'object' && n !== null && 'range' in n;
}

/** Attaches file/line/column to diagnostics that only carry a spec path. */
export function positionDiagnostics(spec: LoadedSpec, diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.map((d) => {
    if (d.line !== undefined) return d;
    const pos = locate(spec, d.path, d.code.endsWith('unknown-key'));
    return { ...d, file: d.file ?? spec.file, line: pos?.line ?? 1, column: pos?.column ?? 1 };
  });
}
