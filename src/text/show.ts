/**
 * How a value from the spec is echoed in a message. Specs come from pull requests: a value may
 * hold newlines (fake diagnostic lines in a CI log), terminal escapes, bidi overrides, or a
 * megabyte of text. Messages quote it JSON-style with all of those escaped, and cut it short.
 */

/** Longest part of a value a message echoes. */
export const MAX_SHOWN = 120;

/**
 * C0/C1 controls, DEL, invisible or direction-changing characters (Trojan Source: soft hyphen,
 * combining grapheme joiner, Hangul fillers, Khmer invisible vowels, Mongolian selectors, zero
 * widths, bidi controls, BOM, tag characters), and lone surrogates, which are no character at all
 * (UTF-8 output would silently turn them into U+FFFD). With the `u` flag, a surrogate pair is one
 * character and never matches the surrogate range.
 */
const UNSAFE_SOURCE =
  '[\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u061c\\u115f\\u1160\\u17b4\\u17b5\\u180b-\\u180f\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2069\\u3164\\ufeff\\uffa0\\ufff9-\\ufffb\\u{e0000}-\\u{e007f}\\ud800-\\udfff]';
const UNSAFE = new RegExp(UNSAFE_SOURCE, 'u');
const UNSAFE_ALL = new RegExp(UNSAFE_SOURCE, 'gu');
const UNSAFE_BUT_LINE_BREAKS = new RegExp(`(?![\\n\\r])${UNSAFE_SOURCE}`, 'gu');

/** True when the text holds a character that must never reach a terminal or nginx.conf unescaped. */
export function hasUnsafeCharacters(s: string): boolean {
  return UNSAFE.test(s);
}

/** `\u001b`, or `\udb40\udc41` for a character outside the BMP: JSON's escapes, one per UTF-16 unit. */
const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(c: string): string {
  if (SHORT_ESCAPES[c]) return SHORT_ESCAPES[c];
  let out = '';
  for (let i = 0; i < c.length; i++) out += `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}

/**
 * Text from outside gwctl's own words (certificate names, command-line arguments, nginx's output)
 * made safe for a terminal or a CI log: every unsafe character escaped as in `show`. Formatters
 * apply it to every message at output time. `keepLineBreaks` leaves CR and LF to a format that
 * encodes them itself (GitHub's %0A).
 */
export function escapeUnsafe(s: string, opts: { keepLineBreaks?: boolean } = {}): string {
  return s.replace(opts.keepLineBreaks ? UNSAFE_BUT_LINE_BREAKS : UNSAFE_ALL, escapeChar);
}

/** Text of several lines, each escaped: the line breaks stay, and so does the layout. */
export function escapeUnsafeLines(text: string): string {
  return text
    .split('\n')
    .map((l) => escapeUnsafe(l))
    .join('\n');
}

/** `"value"`, escaped and shortened: safe to put in any message. */
export function show(value: unknown): string {
  let s = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  let suffix = '';
  if (s.length > MAX_SHOWN) {
    let cut = MAX_SHOWN;
    // Do not split a surrogate pair.
    if (/[\ud800-\udbff]/.test(s[cut - 1])) cut--;
    suffix = `… (${s.length} characters)`;
    s = s.slice(0, cut);
  }
  const quoted = escapeUnsafe(JSON.stringify(s));
  return quoted + suffix;
}

/** A file path as messages print it: bare when it is plain text, else escaped like `show`. */
export function showPath(p: string): string {
  return p.length <= MAX_SHOWN && !hasUnsafeCharacters(p) && !/^\s|\s$|"/.test(p) ? p : show(p);
}
