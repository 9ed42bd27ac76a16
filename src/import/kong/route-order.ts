import { byCodePoint } from '../../plan/routing.js';
import type { Findings } from './findings.js';
import type { OutRoute } from './gateway-out.js';

export interface PlacedRoute {
  route: OutRoute;
  /** Where the Kong route is, for messages. */
  path: readonly (string | number)[];
  label: string;
}

/**
 * Routes gwctl would order differently from Kong. Kong tries routes that match on more kinds of
 * condition first (host and path before path alone), then the longest path; gwctl takes the
 * longest path among the routes for the request's host, any-host routes included. So a route
 * for a host with path /a loses, under gwctl, the requests for /a/b... to an any-host route for
 * /a/b, which Kong gives to the host's route.
 */
export function routeOrderDifferences(routes: readonly PlacedRoute[], findings: Findings): void {
  // Any-host routes by path, sorted: the paths that start with a given prefix are one run of it.
  const anyHost = routes
    .filter((r) => r.route.host === undefined)
    .sort((a, b) => byCodePoint(a.route.path, b.route.path));
  const paths = anyHost.map((r) => r.route.path);
  for (const h of routes) {
    if (h.route.host === undefined) continue;
    const prefix = h.route.path;
    const taken: PlacedRoute[] = [];
    for (let i = lowerBound(paths, prefix); i < paths.length && paths[i].startsWith(prefix); i++)
      if (paths[i].length > prefix.length) taken.push(anyHost[i]);
    if (!taken.length) continue;
    const shown = taken.slice(0, 3).map((a) => `${a.label} (any host, path ${a.route.path})`);
    const more = taken.length > 3 ? ` and ${taken.length - 3} more` : '';
    findings.warn(
      'kong.differs',
      `${h.label} (host ${h.route.host}, path ${prefix}) and ${shown.join(', ')}${more}: for ${h.route.host} under those longer paths Kong picks ${h.label} (it matches on host and path) while gwctl picks the longer path; add host ${h.route.host} with those paths to ${h.label}, in Kong or in the spec, to make them agree`,
      h.path,
    );
  }
}

function lowerBound(sorted: readonly string[], value: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first route for a (host, path) pair wins; Kong would pick among duplicates by its own order. */
export function dropDuplicates(routes: readonly PlacedRoute[], findings: Findings): PlacedRoute[] {
  const seen = new Map<string, PlacedRoute>();
  const kept: PlacedRoute[] = [];
  for (const r of routes) {
    const key = `${r.route.host ?? ''} ${r.route.path}`;
    const first = seen.get(key);
    if (first) {
      if (first.label !== r.label)
        findings.warn(
          'kong.differs',
          `${r.label} matches the same ${r.route.host ? `host ${r.route.host} and ` : ''}path ${r.route.path} as ${first.label}; the import keeps ${first.label}, the first in the file`,
          r.path,
        );
      continue;
    }
    seen.set(key, r);
    kept.push(r);
  }
  return kept;
}
