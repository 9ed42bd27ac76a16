import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { sep } from 'node:path';
import { packagePath } from '../package-root.js';
import Handlebars from 'handlebars';
import type { RenderModel } from '../plan/render-model.js';
import type { SpecPath } from '../diagnostics/diagnostic.js';
import type { LineSource, SourceKind } from '../output/manifest.js';
import { QuoteError, bare, comment, integer, luaString, quote, quoteLiteral, variable } from '../text/quote.js';

const TEMPLATES = packagePath('templates') + sep;
const PARTIALS = [
  'upstream',
  'routing',
  'server',
  'route',
  'proxy-location',
  'profile',
  'proxy',
  'targets',
  'lua',
  'status',
];

/**
 * A host name or *.wildcard as a map key. A leading backslash makes nginx take the key
 * literally even when it is one of map's keywords ("default", "include", "hostnames",
 * "volatile" are valid host names). It is written doubled: nginx's config reader turns `\\`
 * into `\` (which map then strips), whereas a single one before n, t or r would be read as a
 * newline, tab or CR, and "news.example.com" would never match.
 */
export function mapHost(value: unknown): string {
  if (typeof value !== 'string' || !/^(\*\.)?[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$/.test(value))
    throw new QuoteError(`${JSON.stringify(value)} cannot be written as a host name map key`);
  return `\\\\${value}`;
}

/** Bare tokens separated by spaces (a directive's parameter list held as one string). */
function words(value: unknown): string {
  if (typeof value !== 'string') throw new QuoteError('expected a string of words');
  return value.split(' ').map(bare).join(' ');
}

/**
 * `{{#from kind "upstreams" name "tls" ...}} lines {{/from}}`: the lines inside came from these spec
 * fields (an array argument fans out: one path per element; `if=false` records nothing). The
 * block is marked with NUL-delimited tokens, which no helper can emit (control characters are
 * refused), and `renderWithSources` turns the marks into line ranges and removes them.
 */
let opened: { kind: SourceKind; from: SpecPath[] }[] = [];
const OPEN = '\u0000<';
const CLOSE = '\u0000>';
const END = '\u0000;';

function from(this: unknown, kind: SourceKind, ...args: unknown[]): string {
  const options = args.pop() as Handlebars.HelperOptions;
  const inner = flat(options.fn(this));
  if ('if' in options.hash && !options.hash.if) return inner;
  let paths: (string | number)[][] = [[]];
  for (const a of args) {
    const steps = Array.isArray(a) ? a : [a];
    if (!steps.every((x) => typeof x === 'string' || typeof x === 'number'))
      throw new QuoteError(`spec path step ${JSON.stringify(a)} is not a name or an index`);
    paths = paths.flatMap((p) => steps.map((x) => [...p, x as string | number]));
  }
  if (!paths.length) return inner;
  opened.push({ kind, from: paths });
  const id = opened.length - 1;
  return `${OPEN}${id}${END}${inner}${CLOSE}${id}${END}`;
}

/**
 * The string stored in one piece. Handlebars builds its output by concatenation, which V8 keeps as
 * a tree of the pieces until something reads the characters; a 20,000-route nginx.conf stayed
 * millions of small pieces, about 100 MB, until the render ended (docs/benchmark.md). A block is
 * flattened as it is done; converting a string to a number flattens it (as the flatstr package does).
 */
function flat(text: string): string {
  (text as unknown as number) | 0;
  return text;
}

/** nginx.conf, and which of its lines came from which spec fields (for the render manifest). */
export function renderWithSources(model: RenderModel): { text: string; sources: LineSource[] } {
  opened = [];
  let marked: string;
  let marks: typeof opened;
  try {
    marked = engine()(model);
    marks = opened;
  } finally {
    opened = [];
  }
  const sources: LineSource[] = [];
  const starts = new Map<number, number>();
  // Pieces joined once at the end, and the last character tracked: asking a string built by
  // += for its last character flattens it, which made this loop quadratic in nginx.conf's size.
  const pieces: string[] = [];
  let lastChar = '';
  let line = 1;
  const mark = /\u0000([<>])(\d+)\u0000;/g;
  let at = 0;
  for (let m = mark.exec(marked); m; m = mark.exec(marked)) {
    if (m.index > at) {
      const chunk = marked.slice(at, m.index);
      pieces.push(chunk);
      lastChar = chunk[chunk.length - 1];
      for (let i = chunk.indexOf('\n'); i >= 0; i = chunk.indexOf('\n', i + 1)) line++;
    }
    at = m.index + m[0].length;
    const id = Number(m[2]);
    if (m[1] === '<') {
      starts.set(id, line);
      continue;
    }
    // A block ends with its last line's newline: a mark at the start of a line closes the line before.
    const end = lastChar === '\n' ? line - 1 : line;
    const start = starts.get(id)!;
    if (end >= start) sources.push({ lines: [start, end], kind: marks[id].kind, from: marks[id].from });
  }
  pieces.push(marked.slice(at));
  const text = pieces.join('');
  sources.sort((a, b) => a.lines[0] - b.lines[0] || b.lines[1] - a.lines[1]);
  return { text, sources };
}

/** The engine per way of compiling (tests render with both). */
const engines = new Map<boolean, Handlebars.TemplateDelegate<RenderModel>>();

/** One set of compile options for both paths (they decide how partials are indented); Handlebars adds to the object it is given, so each call gets a copy. */
const COMPILE_OPTIONS = { noEscape: true, preventIndent: true };
export const PRECOMPILED_TEMPLATES = 'templates.precompiled.cjs';

/** The template texts: nginx.conf.hbs and its partials. */
export function templateSources(): { main: string; partials: Record<string, string> } {
  return {
    main: readFileSync(`${TEMPLATES}nginx.conf.hbs`, 'utf8'),
    partials: Object.fromEntries(PARTIALS.map((n) => [n, readFileSync(`${TEMPLATES}partials/${n}.hbs`, 'utf8')])),
  };
}

function templatesDigest(sources: ReturnType<typeof templateSources>): string {
  return createHash('sha256')
    .update(JSON.stringify([Handlebars.VERSION, COMPILE_OPTIONS, sources]))
    .digest('hex');
}

/**
 * CommonJS source of the templates compiled by Handlebars, stamped with the digest of what they
 * were compiled from. Compiling them took some 100 ms of every render (scripts/build-templates.mjs
 * writes this at build time, as build-validator.mjs does for the schema).
 */
export function precompiledTemplatesSource(sources = templateSources()): string {
  const spec = (text: string) => Handlebars.precompile(text, { ...COMPILE_OPTIONS });
  const partials = Object.entries(sources.partials).map(([n, t]) => `${JSON.stringify(n)}: ${spec(t)}`);
  return [
    `module.exports.digest = ${JSON.stringify(templatesDigest(sources))};`,
    `module.exports.main = ${spec(sources.main)};`,
    `module.exports.partials = {${partials.join(',\n')}};`,
    '',
  ].join('\n');
}

/** What Handlebars.precompile() gives (its type is global in @types-less handlebars). */
type TemplateSpecification = Parameters<typeof Handlebars.template>[0];

interface Precompiled {
  digest: string;
  main: TemplateSpecification;
  partials: Record<string, TemplateSpecification>;
}

/** The build's compiled templates, or undefined when missing or compiled from other texts (then they are compiled here). */
export function loadPrecompiledTemplates(
  sources: ReturnType<typeof templateSources>,
  file = packagePath('dist', 'src', 'render', PRECOMPILED_TEMPLATES),
): Precompiled | undefined {
  try {
    const mod = createRequire(import.meta.url)(file) as Precompiled;
    return mod.digest === templatesDigest(sources) ? mod : undefined;
  } catch {
    return undefined;
  }
}

/** `precompiled`: use the build's compiled templates when they are current (a test turns it off to compare). */
export const templateOptions = { precompiled: true };

/** Handlebars with no HTML escaping: nginx quoting is done explicitly by the helpers. */
function engine(): Handlebars.TemplateDelegate<RenderModel> {
  const known = engines.get(templateOptions.precompiled);
  if (known) return known;
  const hb = Handlebars.create();
  // The Lua runtime goes into nginx.conf verbatim (its source is reviewed, linted and tested as a file).
  const luaRuntime = readFileSync(`${TEMPLATES}lua/gwctl.lua`, 'utf8').trimEnd();
  hb.registerHelper({ quote, quoteLiteral, variable, bare, integer, comment, mapHost, luaString, words });
  hb.registerHelper('luaRuntime', () => luaRuntime);
  hb.registerHelper('from', from);
  hb.registerHelper('either', (a: unknown, b: unknown) => Boolean(a) || Boolean(b));
  const sources = templateSources();
  const pre = templateOptions.precompiled ? loadPrecompiledTemplates(sources) : undefined;
  let compiled: Handlebars.TemplateDelegate<RenderModel>;
  if (pre) {
    for (const [name, spec] of Object.entries(pre.partials)) hb.registerPartial(name, hb.template(spec));
    compiled = hb.template<RenderModel>(pre.main);
  } else {
    for (const [name, text] of Object.entries(sources.partials)) hb.registerPartial(name, text);
    compiled = hb.compile<RenderModel>(sources.main, { ...COMPILE_OPTIONS });
  }
  engines.set(templateOptions.precompiled, compiled);
  return compiled;
}

export function renderNginxConf(model: RenderModel): string {
  return renderWithSources(model).text;
}
