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
  const anyHost = routes.filter((r) => r.route.host === undefined);
  for (const h of routes) {
    if (h.route.host === undefined) continue;
    for (const a of anyHost) {
      if (a.route.path.length <= h.route.path.length || !a.route.path.startsWith(h.route.path)) continue;
      findings.warn(
        'kong.differs',
        `${h.label} (host ${h.route.host}, path ${h.route.path}) and ${a.label} (any host, path ${a.route.path}): for ${h.route.host}${a.route.path}... Kong picks ${h.label} (it matches on host and path) while gwctl picks ${a.label} (the longer path); add host ${h.route.host} with path ${a.route.path} to ${h.label} in Kong or in the spec to make them agree`,
        h.path,
      );
    }
  }
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
