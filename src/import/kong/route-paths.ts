import { normalizePath, routePathProblem } from '../../text/route-path.js';
import type { FormatVersion } from './kong-file.js';

/**
 * A Kong route path as the spec's prefix path, or why it cannot be one. Format 3.0 marks regex
 * paths with "~"; 1.1 and 2.1 had no marker, and Kong (migrate_path_280_300.lua) treats any path
 * with a character outside [a-zA-Z0-9.-_~/%] as a regex.
 */
export function prefixPath(path: string, format: FormatVersion): { path: string } | { problem: string } {
  if (format === '3.0' ? path.startsWith('~') : !/^[a-zA-Z0-9.\-_~/%]*$/.test(path))
    return { problem: 'is a regex path; gwctl matches path prefixes only' };
  if (!path.startsWith('/')) return { problem: 'does not start with /' };
  // Kong decodes percent-encoded unreserved characters and normalises the path, as nginx does.
  let candidate = path;
  if (/%[0-9A-Fa-f]{2}/.test(candidate)) {
    try {
      candidate = normalizePath(decodeURIComponent(candidate));
    } catch {
      return { problem: 'holds a malformed %-escape' };
    }
  } else candidate = normalizePath(candidate);
  const problem = routePathProblem(candidate);
  return problem === undefined ? { path: candidate } : { problem };
}
