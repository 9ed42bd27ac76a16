/**
 * nginx.conf as nginx's reader (ngx_conf_read_token) splits it: statements of words, ending in
 * `;` or opening a `{ block }`. Lua blocks (`*_by_lua_block { ... }`) are read as lua-nginx-module
 * reads them (strings, long brackets and comments may hold braces), as one opaque word.
 *
 * Where this reader and nginx could disagree (a quote glued to a word, unbalanced braces, the end
 * of the file inside a statement), it refuses instead of guessing: what gwctl lets nginx -t load
 * is decided from this reading, so it must never see less than nginx does.
 */

export interface ConfStatement {
  /** The words, unquoted; words[0] is the directive (or, inside map, the key). */
  words: string[];
  /** 1-based line of the first word. */
  line: number;
  /** The statement's block, when it opens one. */
  block?: ConfStatement[];
}

export class ConfReadError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

export function readNginxConf(text: string): ConfStatement[] {
  let i = 0;
  let line = 1;
  const peek = () => text[i];
  const next = () => {
    const c = text[i++];
    if (c === '\n') line++;
    return c;
  };

  const readLuaBlock = (startLine: number): string => {
    // i is just past the opening "{"; lua-nginx-module counts braces outside strings and comments.
    const from = i;
    let depth = 1;
    while (i < text.length) {
      const c = next();
      if (c === '{') depth++;
      else if (c === '}') {
        if (--depth === 0) return text.slice(from, i - 1);
      } else if (c === '"' || c === "'") {
        while (i < text.length) {
          const d = next();
          if (d === '\\') next();
          else if (d === c) break;
        }
      } else if (c === '[' && /^=*\[/.test(text.slice(i, i + 64))) {
        skipLongBracket();
      } else if (c === '-' && peek() === '-') {
        next();
        if (peek() === '[' && /^\[=*\[/.test(text.slice(i, i + 64))) {
          next();
          skipLongBracket();
        } else while (i < text.length && peek() !== '\n') next();
      }
    }
    throw new ConfReadError('a Lua block that never ends', startLine);
  };
  // i is just past the first "[" of "[==[": skip to the matching "]==]".
  const skipLongBracket = () => {
    let level = 0;
    while (peek() === '=') {
      next();
      level++;
    }
    next(); // the second "["
    const close = `]${'='.repeat(level)}]`;
    const end = text.indexOf(close, i);
    if (end < 0) throw new ConfReadError('a Lua long string or comment that never ends', line);
    while (i < end + close.length) next();
  };

  const readBlock = (depth: number, openLine: number): ConfStatement[] => {
    const out: ConfStatement[] = [];
    let words: string[] = [];
    let stmtLine = line;
    for (;;) {
      // Skip white space and comments.
      while (i < text.length) {
        const c = peek();
        if (c === ' ' || c === '\t' || c === '\r' || c === '\n') next();
        else if (c === '#') while (i < text.length && peek() !== '\n') next();
        else break;
      }
      if (i >= text.length) {
        if (words.length) throw new ConfReadError('the file ends inside a directive (no ";")', stmtLine);
        if (depth > 0) throw new ConfReadError('a block that is never closed ("}" missing)', openLine);
        return out;
      }
      const c = peek();
      if (c === ';') {
        next();
        if (!words.length) throw new ConfReadError('a ";" with no directive before it', line);
        out.push({ words, line: stmtLine });
        words = [];
        continue;
      }
      if (c === '{') {
        next();
        if (!words.length) throw new ConfReadError('a "{" with no directive before it', line);
        const at = stmtLine;
        if (/_by_lua_block$/.test(words[0])) {
          words.push(readLuaBlock(at));
          out.push({ words, line: at });
        } else out.push({ words, line: at, block: readBlock(depth + 1, at) });
        words = [];
        continue;
      }
      if (c === '}') {
        next();
        if (words.length) throw new ConfReadError('a "}" inside a directive (no ";" before it)', line);
        if (depth === 0) throw new ConfReadError('a "}" that closes no block', line);
        return out;
      }
      if (!words.length) stmtLine = line;
      words.push(readWord());
    }
  };

  const readWord = (): string => {
    const c = peek();
    let word = '';
    if (c === '"' || c === "'") {
      const startLine = line;
      next();
      for (;;) {
        if (i >= text.length) throw new ConfReadError('a quoted string that never ends', startLine);
        const d = next();
        if (d === '\\' && i < text.length) {
          const e = next();
          // ngx_conf_read_token: \" \' \\ \t \r \n are unescaped; other escapes stay as written.
          word += e === 't' ? '\t' : e === 'r' ? '\r' : e === 'n' ? '\n' : e === c || e === '\\' ? e : `\\${e}`;
        } else if (d === c) break;
        else word += d;
      }
      const after = peek();
      if (after !== undefined && !/[\s;{}]/.test(after))
        throw new ConfReadError('a quoted string followed directly by more text (nginx: "unexpected")', line);
      return word;
    }
    while (i < text.length) {
      const d = peek();
      if (/[\s;]/.test(d)) break;
      if (d === '{' && !word.endsWith('$')) break;
      if (d === '}' && !/\$\{[^}]*$/.test(word)) break;
      next();
      if (d === '\\' && i < text.length) {
        const e = next();
        word +=
          e === 't' ? '\t' : e === 'r' ? '\r' : e === 'n' ? '\n' : e === '"' || e === "'" || e === '\\' ? e : `\\${e}`;
      } else word += d;
    }
    return word;
  };

  return readBlock(0, 1);
}
