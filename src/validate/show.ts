/**
 * How a value from the spec is echoed in a message. Specs come from pull requests: a value may
 * hold newlines (fake diagnostic lines in a CI log), terminal escapes, bidi overrides, or a
 * megabyte of text. Messages quote it JSON-style with all of those escaped, and cut it short.
 */

/** Longest part of a value a message echoes. */
export const MAX_SHOWN = 120;

/** C0/C1 controls, DEL, and invisible or direction-changing characters (Trojan Source). */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'g');

/** True when the text holds a character that must never reach a terminal or nginx.conf unescaped. */
export function hasUnsafeCharacters(s: string): boolean {
  return UNSAFE.test(s);
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
  const quoted = JSON.stringify(s).replace(UNSAFE_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return quoted + suffix;
}

/** A file path as messages print it: bare when it is plain text, else escaped like `show`. */
export function showPath(p: string): string {
  return p.length <= MAX_SHOWN && !hasUnsafeCharacters(p) && !/^\s|\s$|"/.test(p) ? p : show(p);
}
