/**
 * Route dispatch: which spec route serves a request, given its host and the nginx location its
 * path matched.
 *
 * nginx picks a location by path only, and named locations (the per-TLS-profile hand-over
 * points) belong to one server block. One server block per host would multiply the SSL contexts
 * by the number of hosts (each server needs its own copy of every profile location), so gwctl
 * renders one server block per listener group holding the union of every route's path, and
 * resolves the host in a table:
 *
 *   location L (longest prefix of the URI among all paths)
 *     → for the request's host group G: the longest path of G's routes that is a prefix of L
 *
 * This is exactly what a server block per host would do: every route path of G that is a prefix
 * of the URI is one of the union's paths that is a prefix of the URI, hence a prefix of L (the
 * longest of those), so G's answer depends on L alone. A host group's routes are its own plus
 * the any-host routes it does not override with the same path.
 */

export interface RouteInput {
  /** Index in spec.routes. */
  index: number;
  path: string;
  /** Lowercased host pattern (exact or *.wildcard); undefined = any host. */
  host?: string;
}

export interface HostGroup {
  /** Map value for $gw_vhost: h0, h1, ... in sorted host order. */
  id: string;
  /** Lowercased host pattern as the spec wrote it (exact name or *.wildcard). */
  pattern: string;
}

export interface DispatchLocation {
  /** Value of $gw_loc: l0, l1, ... in path order. */
  id: string;
  path: string;
  /** Route for hosts without a route of their own here; undefined = 404. */
  anyHost?: number;
  /** Host groups whose answer differs from anyHost. */
  exceptions: { group: string; route: number }[];
}

export interface Dispatch {
  hostGroups: HostGroup[];
  locations: DispatchLocation[];
}

/** Code-point order: the same on every machine, whatever its locale. */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function planDispatch(routes: readonly RouteInput[]): Dispatch {
  const hostPatterns = [...new Set(routes.filter((r) => r.host !== undefined).map((r) => r.host!))].sort(byCodePoint);
  const hostGroups = hostPatterns.map((pattern, i) => ({ id: `h${i}`, pattern }));
  const groupOf = new Map(hostGroups.map((g) => [g.pattern, g.id]));

  // path → the route answering for any host there, and the routes of specific host groups.
  const byPath = new Map<string, { any?: number; own: [string, number][] }>();
  for (const r of routes) {
    const entry = byPath.get(r.path) ?? { own: [] };
    if (r.host === undefined) entry.any ??= r.index;
    else entry.own.push([groupOf.get(r.host)!, r.index]);
    byPath.set(r.path, entry);
  }
  const paths = [...byPath.keys()];
  if (!byPath.has('/')) paths.push('/');
  paths.sort(byCodePoint);
  const lengths = [...new Set([...byPath.keys()].map((p) => p.length))].sort((a, b) => b - a);

  const locations = paths.map((path, i): DispatchLocation => {
    const decided = new Map<string, number>();
    let anyHost: number | undefined;
    // Prefixes of L that are route paths, longest first: a host group answers at the first one
    // where it has its own route (which wins over an any-host route at the same path) or where
    // an any-host route exists (then it answers like any other host).
    for (const length of lengths) {
      if (length > path.length) continue;
      const entry = byPath.get(path.slice(0, length));
      if (!entry) continue;
      for (const [group, route] of entry.own) if (!decided.has(group)) decided.set(group, route);
      if (entry.any !== undefined) {
        anyHost = entry.any;
        break;
      }
    }
    const exceptions = [...decided.entries()].map(([group, route]) => ({ group, route })).sort((a, b) => Number(a.group.slice(1)) - Number(b.group.slice(1)));
    return { id: `l${i}`, path, anyHost, exceptions };
  });
  return { hostGroups, locations };
}

/**
 * The same decision made the slow, obvious way: the longest route path of the host's group that
 * is a prefix of the URI. Used by tests to check planDispatch against.
 */
export function routeFor(routes: readonly RouteInput[], hostGroup: string | undefined, uriPath: string): number | undefined {
  const candidates = routes.filter((r) => uriPath.startsWith(r.path) && (r.host === undefined || r.host === hostGroup));
  let best: RouteInput | undefined;
  for (const r of candidates) {
    if (!best || r.path.length > best.path.length || (r.path.length === best.path.length && r.host !== undefined && best.host === undefined)) best = r;
  }
  return best?.index;
}
