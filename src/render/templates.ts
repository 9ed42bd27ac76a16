import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { summarizeList } from '../plan/comment-text.js';
import type { RenderModel } from '../plan/render-model.js';
import { QuoteError, bare, comment, integer, luaString, quote, quoteLiteral, variable } from '../text/quote.js';

const TEMPLATES = fileURLToPath(new URL('../../../templates/', import.meta.url));
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

/** A list for a comment: the first few items and a count of the rest. */
function list(items: unknown): string {
  if (!Array.isArray(items) || !items.every((i) => typeof i === 'string'))
    throw new QuoteError('expected a list of strings');
  return summarizeList(items);
}

/** Bare tokens separated by spaces (a directive's parameter list held as one string). */
function words(value: unknown): string {
  if (typeof value !== 'string') throw new QuoteError('expected a string of words');
  return value.split(' ').map(bare).join(' ');
}

let compiled: Handlebars.TemplateDelegate<RenderModel> | undefined;

/** Handlebars with no HTML escaping: nginx quoting is done explicitly by the helpers. */
function engine(): Handlebars.TemplateDelegate<RenderModel> {
  if (compiled) return compiled;
  const hb = Handlebars.create();
  // The Lua runtime goes into nginx.conf verbatim (its source is reviewed, linted and tested as a file).
  const luaRuntime = readFileSync(`${TEMPLATES}lua/gwctl.lua`, 'utf8').trimEnd();
  hb.registerHelper({ quote, quoteLiteral, variable, bare, integer, comment, mapHost, list, luaString, words });
  hb.registerHelper('luaRuntime', () => luaRuntime);
  hb.registerHelper('either', (a: unknown, b: unknown) => Boolean(a) || Boolean(b));
  for (const name of PARTIALS) hb.registerPartial(name, readFileSync(`${TEMPLATES}partials/${name}.hbs`, 'utf8'));
  compiled = hb.compile<RenderModel>(readFileSync(`${TEMPLATES}nginx.conf.hbs`, 'utf8'), {
    noEscape: true,
    preventIndent: true,
  });
  return compiled;
}

export function renderNginxConf(model: RenderModel): string {
  return engine()(model);
}
