import { hasUnsafeCharacters } from './show.js';

/**
 * The characters a basePath may hold: RFC 3986 path characters that nginx never percent-encodes
 * when it sends a URI (so the path reaches the upstream exactly as written, also after stripPath's
 * set_uri), without "$" (nginx would read a variable) and "%" (an escape would be re-encoded).
 */
const BASE_PATH_CHARS = /^[A-Za-z0-9\-._~!&'()*+,;=:@/]*$/;

/** Longest basePath: one nginx token with room to spare, as healthCheck.path. */
export const MAX_BASE_PATH_BYTES = 1024;

/** Why a basePath cannot be put before proxied paths as written, or undefined when it can. */
export function basePathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'must start with /';
  if (Buffer.byteLength(path) > MAX_BASE_PATH_BYTES)
    return `is ${Buffer.byteLength(path)} bytes long; at most ${MAX_BASE_PATH_BYTES}`;
  if (hasUnsafeCharacters(path) || /\s/u.test(path))
    return 'must not contain spaces, control characters, line breaks or invisible characters';
  if (/[?#]/.test(path)) return 'must not contain "?" or "#": it is a path, not a query string or fragment';
  if (path.includes('%'))
    return "must not contain %-escapes: write the characters themselves (only letters, digits and - . _ ~ ! & ' ( ) * + , ; = : @ / are accepted, which need no escaping)";
  if (path.includes('$')) return 'must not contain "$", which nginx would read as a variable';
  const bad = [...path].find((c) => !BASE_PATH_CHARS.test(c));
  if (bad !== undefined)
    return `holds ${JSON.stringify(bad)}; only letters, digits and - . _ ~ ! & ' ( ) * + , ; = : @ / are accepted (characters nginx sends unescaped)`;
  if (/\/\/|\/\.\.?(\/|$)/.test(path))
    return 'holds an empty, "." or ".." segment; the upstream may resolve it to another path than the one written';
  return undefined;
}
