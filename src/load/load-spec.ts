import { dirname, resolve } from 'node:path';
import type { Document, YAMLError, Node, Pair, YAMLMap } from 'yaml';
import { LineStarts, yamlLib } from './yaml-lib.js';
import { FatalError, error, type Diagnostic, type SpecPath } from '../diagnostics/diagnostic.js';
import { hasUnsafeCharacters, show } from '../text/show.js';
import { readRegularFile } from './read-file.js';
import { explainParserProblem, yamlRuleProblems } from './yaml-rules.js';
import { parsePlainYaml, type Positions } from './plain-yaml.js';

/** Specs are hand-written; anything larger is a mistake or an attack. */
export const MAX_SPEC_BYTES = 4 * 1024 * 1024;
/** Nesting deeper than this cannot be a gateway spec (which nests about 6 levels) and risks the parser's stack. */
export const MAX_NESTING = 64;
/** Block indentation (in columns) the pre-parse scan lets through; the parser itself copes with far more. */
const MAX_INDENT = MAX_NESTING * 4;
/** A broken or hostile document can produce an error per character; the first ones say enough. */
export const MAX_YAML_DIAGNOSTICS = 20;

export interface LoadedSpec {
  file: string;
  dir: string;
  /** Plain data, or undefined when the YAML itself is broken. */
  data: unknown;
  /** Where each node of the document starts (locate() asks it). */
  nodes: NodeLocator;
  lines: LinePositions;
  diagnostics: Diagnostic[];
  /** Set when this spec is an environment file merged onto its base (src/load/environment.ts). */
  overlay?: EnvironmentOverlay;
}

/** Line and column (both from 1) of an offset in the spec's text: yaml's LineCounter, or LineStarts. */
export interface LinePositions {
  linePos(offset: number): { line: number; col: number };
}

export interface EnvironmentOverlay {
  loaded: LoadedSpec;
  /** Spec paths whose value comes from the environment file (everything below them too). */
  replaced: SpecPath[];
}

/** Reads and parses a spec. Throws FatalError (exit 2) only when the file cannot be read at all. */
export function loadSpec(specPath: string, cwd: string): LoadedSpec {
  // The name is printed in every message and written into nginx.conf's header comment.
  if (hasUnsafeCharacters(specPath))
    throw new FatalError(`${show(specPath)}: the spec's file name contains control or invisible characters; rename it`);
  const file = resolve(cwd, specPath);
  const r = readRegularFile(file, MAX_SPEC_BYTES);
  if ('problem' in r) {
    const p = r.problem;
    if (p.code === 'file.directory') throw new FatalError(`${specPath}: is a directory, not a spec file`);
    if (p.code === 'file.not-regular') throw new FatalError(`${specPath}: is not a regular file`);
    if (p.code === 'file.too-large')
      throw new FatalError(`${specPath}: ${p.size} bytes is larger than the ${MAX_SPEC_BYTES}-byte limit for a spec`);
    throw new FatalError(`${specPath}: cannot read the spec (${p.errno ?? 'error'})`);
  }
  const bytes = r.data;
  return parseSpecBytes(bytes, file);
}

/** Binary and non-UTF-8 input is refused with the position of the first bad byte, never parsed. */
export function parseSpecBytes(bytes: Buffer, file: string): LoadedSpec {
  const bad = bytes.indexOf(0) >= 0 ? -1 : firstInvalidUtf8(bytes);
  if (bad < 0) return parseSpecText(new TextDecoder('utf-8').decode(bytes), file);
  // Everything before the bad byte is valid UTF-8: its decoded length is the offending offset.
  const before = new TextDecoder('utf-8').decode(bytes.subarray(0, bad));
  const text = before + '\ufffd';
  const lines = new LineStarts(text);
  return {
    file,
    dir: dirname(file),
    lines,
    nodes: NO_NODES,
    data: undefined,
    diagnostics: [
      at(
        error(
          'yaml.encoding',
          `byte 0x${bytes[bad].toString(16).padStart(2, '0')} at offset ${bad} is not UTF-8: a spec is UTF-8 text (is this a binary file?)`,
        ),
        before.length,
        lines,
        file,
      ),
    ],
  };
}

/** Offset of the first byte that is not part of well-formed UTF-8, or -1. */
function firstInvalidUtf8(b: Buffer): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i];
    let n: number;
    let min: number;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      min = 0x10000;
    } else return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const x = b[i + k];
      if (x === undefined || (x & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (x & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return -1;
}

/** `plain`: false reads with yaml even plain text (the tests compare the two readers). */
export function parseSpecText(text: string, file: string, plain = true): LoadedSpec {
  const dir = dirname(file);
  if (text.includes('\u0000')) {
    const lines = new LineStarts(text);
    return {
      file,
      dir,
      lines,
      nodes: NO_NODES,
      data: undefined,
      diagnostics: [
        at(
          error('yaml.binary', 'the spec contains NUL bytes: it is binary, not YAML'),
          text.indexOf('\u0000'),
          lines,
          file,
        ),
      ],
    };
  }
  const depthProblem = tooDeep(text);
  if (depthProblem >= 0) {
    const lines = new LineStarts(text);
    return {
      file,
      dir,
      lines,
      nodes: NO_NODES,
      data: undefined,
      diagnostics: [
        at(error('yaml.too-deep', `the spec nests deeper than ${MAX_NESTING} levels`), depthProblem, lines, file),
      ],
    };
  }
  // Most specs are plain YAML, which plain-yaml.ts reads in milliseconds to the same data (and
  // the same positions, found again only if a diagnostic needs one); anything else goes to yaml.
  const read = plain ? parsePlainYaml(text) : undefined;
  if (read)
    return { file, dir, lines: new LineStarts(text), nodes: plainNodes(text), data: read.data, diagnostics: [] };
  const { parseDocument, LineCounter } = yamlLib();
  const lines = new LineCounter();
  const base = { file, dir, lines };
  // yaml's own duplicate-key check compares each key with every earlier one (quadratic: 8,000
  // keys took half a minute); duplicateKeys() below does the same check with a Set.
  const doc = parseDocument(text, {
    lineCounter: lines,
    uniqueKeys: false,
    prettyErrors: false,
    strict: true,
    version: '1.2',
  });
  const nodes = yamlNodes(doc);
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  const add = (d: Diagnostic) => {
    const key = `${d.code} ${d.line} ${d.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    diagnostics.push(d);
  };
  const problems = [...doc.errors, ...duplicateKeys(doc), ...doc.warnings].sort((a, b) => a.pos[0] - b.pos[0]);
  for (const e of problems) {
    const explained = explainParserProblem(e, text);
    if (explained === null) continue;
    if (explained) add(at(error(explained.code, explained.message), explained.offset, lines, file));
    else if (e.name === 'YAMLWarning')
      add(at({ ...error('yaml.warning', firstLine(e.message)), severity: 'warning' }, e.pos[0], lines, file));
    else
      add(
        at(
          error(e.code === 'DUPLICATE_KEY' ? 'yaml.duplicate-key' : 'yaml.syntax', firstLine(e.message)),
          e.pos[0],
          lines,
          file,
        ),
      );
  }
  if (diagnostics.length > MAX_YAML_DIAGNOSTICS) {
    const more = diagnostics.length - MAX_YAML_DIAGNOSTICS;
    diagnostics.length = MAX_YAML_DIAGNOSTICS;
    diagnostics.push({
      ...error('yaml.syntax', `… and ${more} more YAML problem(s); fix the first ones and run again`),
      file,
      line: diagnostics[MAX_YAML_DIAGNOSTICS - 1].line,
      column: diagnostics[MAX_YAML_DIAGNOSTICS - 1].column,
    });
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { ...base, nodes, data: undefined, diagnostics };
  const deep = deepestNode(doc);
  if (deep) {
    diagnostics.push(
      at(error('yaml.too-deep', `the spec nests deeper than ${MAX_NESTING} levels`), deep.range?.[0] ?? 0, lines, file),
    );
    return { ...base, nodes, data: undefined, diagnostics };
  }
  const ruleProblems = yamlRuleProblems(doc, text);
  if (ruleProblems.length) {
    for (const p of ruleProblems.slice(0, MAX_YAML_DIAGNOSTICS))
      add(at(error(p.code, p.message), p.offset, lines, file));
    return { ...base, nodes, data: undefined, diagnostics };
  }
  let data: unknown;
  try {
    // A small alias budget defeats "billion laughs" documents; real specs rarely use aliases at all.
    data = doc.toJS({ maxAliasCount: 50 });
  } catch (e) {
    const alias = firstAlias(doc);
    const pos = alias?.range ? lines.linePos(alias.range[0]) : { line: 1, col: 1 };
    const why =
      e instanceof RangeError
        ? 'the spec nests too deeply through its aliases'
        : 'the spec expands its aliases into too much data (a "billion laughs" document?)';
    diagnostics.push({ ...error('yaml.aliases', why), file, line: pos.line, column: pos.col });
    return { ...base, nodes, data: undefined, diagnostics };
  }
  return { ...base, nodes, data, diagnostics };
}

/** The first collection nested deeper than MAX_NESTING, found without recursion. */
function deepestNode(doc: Document): Node | undefined {
  const { isCollection, isPair } = yamlLib();
  const stack: { node: unknown; depth: number }[] = [{ node: doc.contents, depth: 1 }];
  while (stack.length) {
    const { node, depth } = stack.pop()!;
    if (!isCollection(node)) continue;
    if (depth > MAX_NESTING) return node as Node;
    for (const item of node.items as unknown[]) {
      if (isPair(item)) {
        stack.push({ node: item.key, depth: depth + 1 });
        stack.push({ node: item.value, depth: depth + 1 });
      } else stack.push({ node: item, depth: depth + 1 });
    }
  }
  return undefined;
}

/** The first alias in document order (the parse already bounded the depth, so recursion is safe). */
function firstAlias(doc: Document): Node | undefined {
  const { visit } = yamlLib();
  let found: Node | undefined;
  visit(doc, {
    Alias(_key, node) {
      found = node;
      return visit.BREAK;
    },
  });
  return found;
}

function firstLine(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+.*$/, '');
}

function at(d: Diagnostic, offset: number, lines: LinePositions, file: string): Diagnostic {
  const pos = lines.linePos(Math.max(0, offset));
  return { ...d, file, line: pos.line, column: pos.col };
}

/**
 * Cheap pre-scan that keeps deeply nested text away from the recursive parser: flow brackets,
 * block indentation, and compact block indicators (`- - - x`, `? ? x`). It errs on the side of
 * counting: it skips only what YAML surely treats as text (quoted scalars starting at a token
 * boundary, comments after whitespace), so it may refuse odd-but-valid text, never miss nesting.
 * Returns the offset where the limit is crossed, or -1.
 */
function tooDeep(text: string): number {
  let flow = 0;
  let i = 0;
  const n = text.length;
  const boundary = (k: number) => k === 0 || ' \t\n\r[{,'.includes(text[k - 1]);
  let indicators = 0;
  while (i < n) {
    if (i === 0 || text[i - 1] === '\n') {
      indicators = 0;
      let j = i;
      while (j < n && text[j] === ' ') j++;
      if (j - i > MAX_INDENT) return i;
      if (j > i) {
        i = j;
        continue;
      }
    }
    const c = text[i];
    if ((c === '"' || c === "'") && boundary(i)) {
      // Up to the closing quote, or the end of the line (a multi-line scalar's next lines are
      // then scanned as if they were structure: over-counting, never under-counting).
      let k = i + 1;
      while (k < n && text[k] !== '\n') {
        if (c === '"' && text[k] === '\\') {
          k += 2;
          continue;
        }
        if (text[k] === c) {
          if (c === "'" && text[k + 1] === "'") {
            k += 2;
            continue;
          }
          break;
        }
        k++;
      }
      i = k < n && text[k] === c ? k + 1 : k;
      continue;
    }
    if (c === '#' && (i === 0 || ' \t\n\r'.includes(text[i - 1]))) {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    // Block indicators followed by space (`- `, `? `, `: `): each may open a collection, even
    // several on one line (`- - - x`).
    if (
      (c === '-' || c === '?' || c === ':') &&
      (i + 1 === n || ' \t\r\n'.includes(text[i + 1])) &&
      (i === 0 || ' \t\n'.includes(text[i - 1]))
    ) {
      if (++indicators > MAX_NESTING) return i;
    } else if (c === '[' || c === '{') {
      if (++flow > MAX_NESTING) return i;
    } else if (c === ']' || c === '}') flow = Math.max(0, flow - 1);
    i++;
  }
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
export function locate(spec: Pick<LoadedSpec, 'nodes' | 'lines'>, path: SpecPath, key = false): Position | undefined {
  const offset = spec.nodes.offset(path, key);
  if (offset === undefined) return undefined;
  const pos = spec.lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}

/** Where the node at a spec path starts (or its key's start, with `key`), or the closest existing parent's. */
export interface NodeLocator {
  offset(path: SpecPath, key: boolean): number | undefined;
}

/** A document that was never parsed: no node has a position. */
const NO_NODES: NodeLocator = { offset: () => undefined };

/** The nodes of a document yaml parsed. */
function yamlNodes(doc: Document): NodeLocator {
  const { isMap, isSeq } = yamlLib();
  return {
    offset(path, key) {
      let node: unknown = doc.contents;
      let found: Node | undefined = isNodeLike(node) ? (node as Node) : undefined;
      for (let i = 0; i < path.length; i++) {
        const seg = path[i];
        const last = i === path.length - 1;
        if (isMap(node)) {
          const pair = pairIndex(node).get(String(seg));
          if (!pair) break;
          if (last && key && isNodeLike(pair.key)) {
            found = pair.key as Node;
            break;
          }
          node = pair.value;
          found = isNodeLike(pair.value) ? (pair.value as Node) : (pair.key as Node);
        } else if (isSeq(node) && typeof seg === 'number') {
          const item = node.items[seg];
          if (!isNodeLike(item)) break;
          node = item;
          found = item as Node;
        } else break;
      }
      return found?.range?.[0];
    },
  };
}

/**
 * The nodes of a document plain-yaml.ts read: their positions are read again on the first
 * question (a few milliseconds), so a run without diagnostics keeps none. The same walk as
 * yamlNodes(): a mapping member by its key's text, a sequence item by a numeric index.
 */
function plainNodes(text: string): NodeLocator {
  let positions: Positions | undefined;
  return {
    offset(path, key) {
      if (!positions) {
        positions = new Map();
        parsePlainYaml(text, positions);
      }
      let at = '';
      let found = positions.get(at);
      for (let i = 0; i < path.length; i++) {
        const seg = path[i];
        const sep = at === '' ? '' : '\0';
        const member = `${at}${sep}k${String(seg)}`;
        if (positions.has(member)) {
          if (i === path.length - 1 && key) return positions.get(`${member}\u0001`);
          at = member;
        } else if (typeof seg === 'number' && positions.has(`${at}${sep}i${seg}`)) at = `${at}${sep}i${seg}`;
        else break;
        found = positions.get(at);
      }
      return found;
    },
  };
}

/**
 * Each mapping's pairs by key, built once per mapping: a diagnostic per upstream used to scan the
 * whole `upstreams` mapping to find its own (quadratic in the number of upstreams). The first
 * pair of a key wins, as the scan found it.
 */
const pairIndexes = new WeakMap<YAMLMap, Map<string, Pair>>();

function pairIndex(map: YAMLMap): Map<string, Pair> {
  const { isPair, isScalar } = yamlLib();
  let index = pairIndexes.get(map);
  if (!index) {
    index = new Map();
    for (const p of map.items)
      if (isPair(p) && isScalar(p.key) && !index.has(String(p.key.value))) index.set(String(p.key.value), p);
    pairIndexes.set(map, index);
  }
  return index;
}

function isNodeLike(n: unknown): boolean {
  return typeof n === 'object' && n !== null && 'range' in n;
}

/**
 * Positions diagnostics once, as a command hands them to the output (src/commands/context.ts
 * `report`, chain-report.ts `reportOutput`), with the spec document they came from. A diagnostic
 * with a line keeps it; one naming the environment file is found there; one with a file of its
 * own and no spec path is about that file as a whole (DIR, nginx.conf) and gets no spec position.
 */
export function positionAll(spec: LoadedSpec | undefined, diagnostics: readonly Diagnostic[]): Diagnostic[] {
  if (!spec) return [...diagnostics];
  const env = spec.overlay?.loaded;
  return diagnostics.map((d) => {
    if (d.line !== undefined || (d.file !== undefined && d.path.length === 0)) return d;
    return positionDiagnostics(env && d.file === env.file && env.file !== spec.file ? env : spec, [d])[0];
  });
}

/** Names the file an environment's own findings point into, so that `positionAll` looks there. */
export function fromSpec(spec: Pick<LoadedSpec, 'file'>, diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.map((d) => (d.file === undefined ? { ...d, file: spec.file } : d));
}

/** Attaches file/line/column to diagnostics that only carry a spec path (`positionAll` decides which). */
export function positionDiagnostics(spec: LoadedSpec, diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.map((d) => {
    if (d.line !== undefined) return d;
    const key = d.code.endsWith('unknown-key') || d.code === 'schema.bad-name';
    // A value an environment file wrote is found there, under overrides.
    const env = spec.overlay?.replaced.some((r) => r.length <= d.path.length && r.every((s, i) => s === d.path[i]))
      ? spec.overlay.loaded
      : undefined;
    if (env && (d.file === undefined || d.file === spec.file)) {
      const at = locate(env, ['overrides', ...d.path], key);
      return { ...d, file: env.file, line: at?.line ?? 1, column: at?.column ?? 1 };
    }
    const pos = locate(spec, d.path, key);
    return { ...d, file: d.file ?? spec.file, line: pos?.line ?? 1, column: pos?.column ?? 1 };
  });
}

/**
 * yaml's uniqueKeys check in linear time: within each mapping, a scalar key whose value (same
 * type, same value) an earlier key had is an error at the later key, with yaml's message.
 */
function duplicateKeys(doc: Document.Parsed): YAMLError[] {
  const { visit, isScalar, YAMLParseError } = yamlLib();
  const out: YAMLError[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const v = pair.key.value;
        const id = `${typeof v}:${String(v)}`;
        if (seen.has(id)) {
          const at = pair.key.range?.[0] ?? 0;
          out.push(new YAMLParseError([at, at + 1], 'DUPLICATE_KEY', 'Map keys must be unique'));
        } else seen.add(id);
      }
    },
  });
  return out;
}
