/**
 * A fast reader for the plain YAML most specs are written in: block mappings and sequences,
 * single-line flow collections, plain and quoted scalars, comments. The `yaml` package reads a
 * 2,000-route spec in some 200-400 ms and leaves hundreds of megabytes of garbage at 20,000
 * routes (docs/benchmark.md); this reads the same text in a few milliseconds.
 *
 * It gives up (returns undefined) on anything outside that subset: anchors, aliases, tags,
 * directives, document markers, block scalars, multi-line scalars and flow collections, escapes in
 * double quotes, empty values, duplicate keys, keys that are not strings, scalars the core schema
 * reads as null, floats or signed or non-decimal numbers, tabs, CRs and characters outside the
 * printable planes. The caller then parses with `yaml`, which reports every problem with its own
 * words. What it accepts it reads exactly as `yaml` (YAML 1.2, core schema) does, to the same data
 * and the same positions: `test/load/plain-yaml.test.ts` compares the two on every example and on
 * thousands of mutated documents.
 */

/** Where each node starts: `''` the root; a map member `k<key>`, a sequence item `i<n>`, joined by NUL; `\u0001` after a path: its key. */
export type Positions = Map<string, number>;

class OutsideSubset extends Error {}
const outside = (): never => {
  throw new OutsideSubset();
};

/** Characters the subset takes: printable ASCII and the BMP's printable planes (no BOM, no surrogates, no tabs or CRs). */
const OUTSIDE_CHARACTERS = /[^\n\x20-\x7e\u00a0-\ud7ff\ue000-\ufefe\uff00-\ufffd]/;
/** A plain scalar cannot start with these (YAML's indicators), nor with a space. */
const INDICATOR = new Set('-?:,[]{}#&*!|>\'"%@`');
const FLOW_INDICATOR = new Set(',[]{}');
/** Plain scalars the core schema reads as something other than a string or a decimal integer or a boolean. */
const OTHER_CORE =
  /^(?:~|[Nn]ull|NULL|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+|[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)|0o[0-7]+|0x[0-9a-fA-F]+|[-+][0-9]+)$/;
const BOOLEAN = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const DECIMAL = /^[0-9]+$/;
/** `yaml` refuses an implicit key longer than 1024 characters. */
const MAX_KEY = 1000;
/** Keys whose handling (a merge key in YAML 1.1, an object's prototype) is left to the full parser. */
const SPECIAL_KEYS = new Set(['__proto__', '<<']);

interface Line {
  /** Offset of the line's first character in the text. */
  start: number;
  /** Offset of its first non-space character. */
  content: number;
  /** Offset of the '\n' that ends it (or the text's length). */
  end: number;
}

/** The data `yaml` would give for this text, or undefined when it is outside the subset. */
export function parsePlainYaml(text: string, positions?: Positions): { data: unknown } | undefined {
  if (OUTSIDE_CHARACTERS.test(text)) return undefined;
  try {
    return { data: new Reader(text, positions).document() };
  } catch (e) {
    if (e instanceof OutsideSubset || e instanceof RangeError) return undefined;
    throw e;
  }
}

class Reader {
  private readonly lines: Line[] = [];
  private at = 0;
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly positions: Positions | undefined,
  ) {
    let start = 0;
    while (start <= text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      let content = start;
      while (content < end && text.charCodeAt(content) === 0x20) content++;
      // Blank lines and comment lines are nothing to the structure.
      if (content < end && text[content] !== '#') this.lines.push({ start, content, end });
      start = end + 1;
    }
  }

  document(): unknown {
    const first = this.lines[0];
    if (!first) outside(); // an empty document is null
    for (const line of this.lines) {
      const c = this.text[line.content];
      // Directives and document markers (---, ...) belong to the full parser.
      if (
        line.content === line.start &&
        (c === '%' || this.text.startsWith('---', line.start) || this.text.startsWith('...', line.start))
      )
        outside();
    }
    const value = this.block(first.content - first.start, first.content, '');
    if (this.at < this.lines.length) outside(); // a line less indented than the root
    return value;
  }

  private mark(path: string, offset: number): void {
    this.positions?.set(path, offset);
  }

  private enter(): void {
    // Well within MAX_NESTING of load-spec.ts (64), whose depth check is the full parser's.
    if (++this.depth > 32) outside();
  }

  /** A block node whose first line is this.lines[this.at], its content starting at `from` (column `indent`). */
  private block(indent: number, from: number, path: string): unknown {
    this.mark(path, from);
    const line = this.lines[this.at];
    if (this.isSeqItem(from, line.end)) return this.sequence(indent, from, path);
    return this.mapping(indent, from, path);
  }

  private isSeqItem(from: number, end: number): boolean {
    return this.text[from] === '-' && (from + 1 === end || this.text[from + 1] === ' ');
  }

  private column(line: Line): number {
    return line.content - line.start;
  }

  private mapping(indent: number, firstFrom: number, path: string): Record<string, unknown> {
    this.enter();
    const map: Record<string, unknown> = {};
    const seen = new Set<string>();
    let from = firstFrom;
    for (;;) {
      const line = this.lines[this.at];
      const { key, keyAt, after } = this.key(from, line.end);
      if (seen.has(key) || SPECIAL_KEYS.has(key)) outside();
      seen.add(key);
      const here = `${path}${path ? '\0' : ''}k${key}`;
      this.mark(`${here}\u0001`, keyAt);
      const rest = this.skipSpaces(after, line.end);
      if (rest === line.end || this.text[rest] === '#') {
        // The value is the block on the next lines: deeper, or a sequence at the same column.
        this.at++;
        const next = this.lines[this.at];
        if (!next) outside();
        const col = this.column(next);
        if (col > indent) map[key] = this.block(col, next.content, here);
        else if (col === indent && this.isSeqItem(next.content, next.end))
          map[key] = this.block(col, next.content, here);
        else outside(); // an empty value: null
      } else {
        map[key] = this.inline(rest, line.end, here);
        this.at++;
      }
      const next = this.lines[this.at];
      if (!next) break;
      const col = this.column(next);
      if (col < indent) break;
      if (col > indent || this.isSeqItem(next.content, next.end)) outside();
      from = next.content;
    }
    this.depth--;
    return map;
  }

  private sequence(indent: number, firstFrom: number, path: string): unknown[] {
    this.enter();
    const seq: unknown[] = [];
    let from = firstFrom;
    for (;;) {
      const line = this.lines[this.at];
      const here = `${path}${path ? '\0' : ''}i${seq.length}`;
      const content = this.skipSpaces(from + 1, line.end);
      if (content === line.end || this.text[content] === '#') outside(); // the item on the next lines
      if (this.isSeqItem(content, line.end)) outside(); // - - nested
      if (this.startsMapping(content, line.end)) {
        // `- key: value`: a mapping whose column is that of its first key.
        seq.push(this.block(indent + (content - from), content, here));
      } else {
        seq.push(this.inline(content, line.end, here));
        this.at++;
      }
      const next = this.lines[this.at];
      if (!next) break;
      const col = this.column(next);
      if (col < indent) break;
      if (col > indent) outside();
      if (!this.isSeqItem(next.content, next.end)) break; // the parent mapping's next key (an indentless sequence)
      from = next.content;
    }
    this.depth--;
    return seq;
  }

  /** Whether the line from `from` is `key: ...` (an implicit key) rather than a scalar. */
  private startsMapping(from: number, end: number): boolean {
    return this.keyColon(from, end) >= 0;
  }

  /** The ':' after an implicit key starting at `from` (a plain key's is followed by a space or the line's end), or -1. */
  private keyColon(from: number, end: number): number {
    const c = this.text[from];
    if (c === '"' || c === "'") {
      const close = this.quotedEnd(from, end);
      return this.text[close] === ':' ? close : -1;
    }
    if (c === '{' || c === '[') return -1;
    for (let i = from; i < end; i++) {
      if (this.text[i] === ':' && (i + 1 === end || this.text[i + 1] === ' ')) return i;
      if (this.text[i] === '#' && this.text[i - 1] === ' ') return -1;
    }
    return -1;
  }

  /** An implicit key and the ':' after it (followed by a space or the line's end). */
  private key(from: number, end: number): { key: string; keyAt: number; after: number } {
    const colon = this.keyColon(from, end);
    // Not a key (a scalar where a mapping goes on), a ':' glued to a quoted key's value, a long key.
    if (colon < 0 || !(colon + 1 === end || this.text[colon + 1] === ' ') || colon - from > MAX_KEY) outside();
    const c = this.text[from];
    if (c === '"' || c === "'") return { key: this.quoted(from, colon), keyAt: from, after: colon + 1 };
    if (INDICATOR.has(c)) outside();
    const raw = trimSpaces(this.text.slice(from, colon));
    if (typeof resolvePlain(raw) !== 'string') outside();
    return { key: raw, keyAt: from, after: colon + 1 };
  }

  /** A value on the rest of a line (after `key: ` or `- `): a scalar or a flow collection, then at most a comment. */
  private inline(from: number, end: number, path: string): unknown {
    const c = this.text[from];
    let value: unknown;
    let after: number;
    if (c === '{' || c === '[') {
      ({ value, after } = this.flow(from, end, path));
    } else if (c === '"' || c === "'") {
      this.mark(path, from);
      after = this.quotedEnd(from, end);
      value = this.quoted(from, after);
    } else {
      if (INDICATOR.has(c)) outside();
      this.mark(path, from);
      let i = from;
      while (i < end && !(this.text[i] === '#' && this.text[i - 1] === ' ')) {
        if (this.text[i] === ':' && (i + 1 === end || this.text[i + 1] === ' ')) outside(); // `a: b: c`
        i++;
      }
      value = resolvePlain(trimSpaces(this.text.slice(from, i)));
      after = i;
    }
    // At most a comment after it (whitespace first). A deeper line after it would continue the
    // scalar or be an error: mapping() and sequence() refuse it.
    const rest = this.skipSpaces(after, end);
    if (rest < end && !(this.text[rest] === '#' && this.text[rest - 1] === ' ')) outside();
    return value;
  }

  /** A flow collection closed on the same line. */
  private flow(from: number, end: number, path: string): { value: unknown; after: number } {
    this.mark(path, from);
    this.enter();
    const close = this.text[from] === '{' ? '}' : ']';
    let i = this.skipSpaces(from + 1, end);
    let value: unknown;
    if (close === '}') {
      const map: Record<string, unknown> = {};
      const seen = new Set<string>();
      if (this.text[i] === '}') i++;
      else
        for (;;) {
          const keyAt = i;
          let key: string;
          if (this.text[i] === '"' || this.text[i] === "'") {
            const q = this.quotedEnd(i, end);
            key = this.quoted(i, q);
            i = q;
          } else {
            const p = this.flowPlainEnd(i, end);
            key = trimSpaces(this.text.slice(i, p));
            if (typeof resolvePlain(key) !== 'string') outside();
            i = p;
          }
          if (this.text[i] !== ':' || this.text[i + 1] !== ' ' || i - keyAt > MAX_KEY) outside();
          if (seen.has(key) || SPECIAL_KEYS.has(key)) outside();
          seen.add(key);
          const here = `${path}${path ? '\0' : ''}k${key}`;
          this.mark(`${here}\u0001`, keyAt);
          i = this.skipSpaces(i + 1, end);
          const v = this.flowValue(i, end, here);
          map[key] = v.value;
          const next = this.nextEntry(v.after, end, '}');
          i = next.at;
          if (next.done) break;
        }
      value = map;
    } else {
      const seq: unknown[] = [];
      if (this.text[i] === ']') i++;
      else
        for (;;) {
          const v = this.flowValue(i, end, `${path}${path ? '\0' : ''}i${seq.length}`);
          seq.push(v.value);
          const next = this.nextEntry(v.after, end, ']');
          i = next.at;
          if (next.done) break;
        }
      value = seq;
    }
    this.depth--;
    return { value, after: i };
  }

  /** After a flow entry: the closing bracket (done), or a comma and the next entry (a trailing comma is the full parser's). */
  private nextEntry(after: number, end: number, close: string): { at: number; done: boolean } {
    const at = this.skipSpaces(after, end);
    if (this.text[at] === close) return { at: at + 1, done: true };
    if (this.text[at] !== ',') outside();
    const next = this.skipSpaces(at + 1, end);
    if (this.text[next] === close) outside();
    return { at: next, done: false };
  }

  private flowValue(from: number, end: number, path: string): { value: unknown; after: number } {
    const c = this.text[from];
    if (c === '{' || c === '[') return this.flow(from, end, path);
    this.mark(path, from);
    if (c === '"' || c === "'") {
      const after = this.quotedEnd(from, end);
      return { value: this.quoted(from, after), after };
    }
    const after = this.flowPlainEnd(from, end);
    if (this.text[after] === ':') outside(); // `[a: b]`, a single-pair mapping
    return { value: resolvePlain(trimSpaces(this.text.slice(from, after))), after };
  }

  /** Where a plain scalar in a flow collection ends: at a flow indicator, or a ':' before a space or one. */
  private flowPlainEnd(from: number, end: number): number {
    if (from >= end || INDICATOR.has(this.text[from])) outside();
    let i = from;
    for (; i < end; i++) {
      const c = this.text[i];
      if (FLOW_INDICATOR.has(c)) break;
      if (c === ':' && (i + 1 === end || this.text[i + 1] === ' ' || FLOW_INDICATOR.has(this.text[i + 1]))) break;
      if (c === '#' && this.text[i - 1] === ' ') outside(); // a comment inside the collection
    }
    if (i === end) outside(); // not closed on this line
    return i;
  }

  /** The offset just after a quoted scalar that closes on this line. */
  private quotedEnd(from: number, end: number): number {
    const q = this.text[from];
    for (let i = from + 1; i < end; i++) {
      const c = this.text[i];
      if (q === '"' && c === '\\') outside(); // escapes are the full parser's
      if (c === q) {
        if (q === "'" && this.text[i + 1] === "'") {
          i++;
          continue;
        }
        return i + 1;
      }
    }
    return outside();
  }

  private quoted(from: number, after: number): string {
    const body = this.text.slice(from + 1, after - 1);
    return this.text[from] === "'" ? body.replaceAll("''", "'") : body;
  }

  private skipSpaces(from: number, end: number): number {
    let i = from;
    while (i < end && this.text.charCodeAt(i) === 0x20) i++;
    return i;
  }
}

/** Trailing spaces off (YAML's only white space here: tabs are outside the subset; U+00A0 and the like are text). */
function trimSpaces(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x20) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** A plain scalar as the core schema reads it, within the subset. */
function resolvePlain(s: string): unknown {
  if (s === '') outside();
  if (DECIMAL.test(s)) return Number.parseInt(s, 10);
  if (BOOLEAN.test(s)) return s[0] === 't' || s[0] === 'T';
  if (OTHER_CORE.test(s)) outside();
  return s;
}
