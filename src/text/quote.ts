/**
 * nginx quoting. Every value that reaches nginx.conf passes through one of these. They throw on
 * anything that cannot be represented safely: they never return "" for bad input.
 */
export class QuoteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuoteError';
  }
}

const CONTROL = /[\u0000-\u001f\u007f]/;

import { NGINX_TOKEN_MAX_BYTES } from './nginx-token.js';

export { NGINX_TOKEN_MAX_BYTES, quotedBytes } from './nginx-token.js';

/** The token as written, or a QuoteError when nginx could not read it back. */
function fits(token: string, raw: string): string {
  const bytes = Buffer.byteLength(token);
  if (bytes > NGINX_TOKEN_MAX_BYTES)
    throw new QuoteError(
      `value ${JSON.stringify(raw.slice(0, 40))}… is ${bytes} bytes in nginx.conf once quoted and escaped; nginx reads at most ${NGINX_TOKEN_MAX_BYTES} ("too long parameter")`,
    );
  return token;
}

/**
 * A double-quoted nginx string. `$` is refused: in most directives nginx expands variables even
 * inside quotes and has no escape for a literal dollar.
 */
export function quote(value: unknown): string {
  const s = asString(value);
  if (CONTROL.test(s))
    throw new QuoteError(
      `value ${JSON.stringify(s)} contains a control character (newline, NUL, …), which cannot appear in nginx.conf`,
    );
  if (s.includes('$'))
    throw new QuoteError(`value ${JSON.stringify(s)} contains "$", which nginx would read as a variable`);
  return fits(`"${s.replace(/[\\"]/g, '\\$&')}"`, s);
}

/** A quoted string in a directive nginx never variable-expands (location paths, file names in some contexts). */
export function quoteLiteral(value: unknown): string {
  const s = asString(value);
  if (CONTROL.test(s))
    throw new QuoteError(
      `value ${JSON.stringify(s)} contains a control character (newline, NUL, …), which cannot appear in nginx.conf`,
    );
  return fits(`"${s.replace(/[\\"]/g, '\\$&')}"`, s);
}

/** A reference to one of gwctl's own variables: `$gw_…`. */
export function variable(name: unknown): string {
  const s = asString(name);
  if (!/^gw_[a-z_]+$/.test(s)) throw new QuoteError(`"${s}" is not a gwctl variable name`);
  return `$${s}`;
}

/**
 * A double-quoted Lua string inside a *_by_lua_block. Only plain text is accepted: nginx reads
 * the block with its own Lua-aware tokenizer, and a control character has no business in the
 * values gwctl writes there (upstream names, addresses, health check paths).
 */
export function luaString(value: unknown): string {
  const s = asString(value);
  if (CONTROL.test(s)) throw new QuoteError(`value ${JSON.stringify(s)} contains a control character`);
  return `"${s.replace(/[\\"]/g, '\\$&')}"`;
}

/** A bare nginx token made only of safe characters (identifiers, numbers, addresses). */
export function bare(value: unknown): string {
  const s = asString(value);
  if (!/^[A-Za-z0-9_.:[\]@=/-]+$/.test(s)) throw new QuoteError(`"${s}" cannot be written as a bare nginx token`);
  return fits(s, s);
}

export function integer(value: unknown): string {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new QuoteError(`${String(value)} is not a non-negative integer`);
  return String(value);
}

/**
 * A `# comment` line body: one line, no control characters, and short: nginx reads a comment as
 * one token and stops at a token longer than its 4 KiB buffer ("too long parameter"), so a
 * longer one is cut (a comment never changes what nginx does).
 */
export function comment(value: unknown): string {
  const s = asString(value);
  if (CONTROL.test(s)) throw new QuoteError(`comment ${JSON.stringify(s)} contains a control character`);
  if (Buffer.byteLength(s) <= COMMENT_MAX_BYTES) return s;
  let cut = '';
  let bytes = 0;
  for (const ch of s) {
    bytes += Buffer.byteLength(ch);
    if (bytes > COMMENT_MAX_BYTES) break;
    cut += ch;
  }
  return `${cut} …`;
}

/** Bytes of comment text per line, well below nginx's 4,095-byte token limit (measured). */
export const COMMENT_MAX_BYTES = 1000;

function asString(value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string')
    throw new QuoteError(`expected a string, got ${value === undefined ? 'nothing' : typeof value}`);
  if (value.length === 0) throw new QuoteError('empty value');
  return value;
}
