import { hasUnsafeCharacters } from './show.js';

/**
 * Why nginx would never match a route path as written, or undefined when it would.
 *
 * nginx matches locations against the request URI after decoding %XX, merging slashes and
 * resolving "." and ".." segments, and without the query string; a route path written in the
 * encoded or unnormalised form would silently never match (measured on nginx 1.22).
 */
export function routePathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'must start with /';
  if (Buffer.byteLength(path) > MAX_PATH_BYTES)
    return `is ${Buffer.byteLength(path)} bytes long; nginx reads at most ${MAX_PATH_BYTES} bytes in one location`;
  if (hasUnsafeCharacters(path) || /[^\S ]/u.test(path))
    return 'must not contain control characters, tabs, line breaks or invisible characters';
  if (/[?#]/.test(path))
    return 'must not contain "?" or "#": in a URL they start the query string or a fragment, which nginx never matches a route against (and gwctl cannot route a path that holds one, sent as %3F or %23)';
  if (/%[0-9A-Fa-f]{2}/.test(path)) {
    const decoded = decodeOrUndefined(path);
    // What to write instead must itself be a path gwctl accepts: decoded, then normalised.
    const hint = decoded === undefined ? undefined : normalizePath(decoded);
    const usable = hint !== undefined && routePathProblem(hint) === undefined;
    const why =
      hint !== undefined && /[?#]/.test(hint)
        ? ' (decoded, it holds "?" or "#", and gwctl cannot route such a path)'
        : '';
    return `is percent-encoded, but nginx matches routes against the decoded URI, so it would never match${usable ? `: write ${JSON.stringify(hint)}` : why}`;
  }
  const normal = normalizePath(path);
  if (normal !== path)
    return `is not in the form nginx matches (it merges "//" and resolves "." and ".." segments first), so it would never match: write ${JSON.stringify(normal)}`;
  return undefined;
}

/** nginx stops at a config token over 4,094 bytes ("too long parameter", measured); a round limit below it. */
const MAX_PATH_BYTES = 4000;

function decodeOrUndefined(path: string): string | undefined {
  try {
    return decodeURIComponent(path);
  } catch {
    return undefined;
  }
}

/** The path as nginx normalises a request URI: slashes merged, "." and ".." segments resolved. */
export function normalizePath(path: string): string {
  const segments = path.replace(/\/+/g, '/').split('/').slice(1);
  const out: string[] = [];
  segments.forEach((s, i) => {
    const last = i === segments.length - 1;
    if (s === '.') {
      if (last) out.push('');
      return;
    }
    if (s === '..') {
      out.pop();
      if (last) out.push('');
      return;
    }
    out.push(s);
  });
  return `/${out.join('/')}`;
}
