/**
 * Route dispatch: which spec route serves a request, given its host and the nginx location its
 * path matched.
 *
 * The spec's rule: among the routes whose host matches the request's host (the same name, a
 * *.wildcard the name ends in, or no host at all), the longest path prefix wins; at the same
 * path the most specific host wins (an exact name, then the longer wildcard, then any host).
 *
 * nginx picks a location by path only, and named locations (the per-TLS-profile hand-over
 * points) belong to one server block. One server block per host would multiply the SSL contexts
 * by the number of hosts (each server needs its own copy of every profile location), so gwctl
 * renders one server block per listener group holding the union of every route's path, and
 * resolves the host in a table:
 *
 *   host → its host group G: the route host pattern nginx's `map hostnames` picks for it (the
 *          exact name, else the longest matching wildcard)
 *   location L (longest prefix of the URI among all paths)
 *     → G's answer: the longest path, among the routes of G and of every wildcard covering G
 *       (and any-host routes), that is a prefix of L
 *
 * Every host of G matches exactly the same route hosts (G's own pattern and the wildcards that
 * cover it), so G has one answer; and every route path of G that is a prefix of the URI is one
 * of the union's paths that is a prefix of the URI, hence a prefix of L (the longest of those),
 * so G's answer depends on L alone.
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
  const index = new Map(hostPatterns.map((p, i) => [p, i]));
  // For each group: the host patterns whose routes apply to its hosts, most specific first; and
  // the other way round, the groups each pattern's routes apply to.
  const wildcards = hostPatterns.filter((p) => p.startsWith('*.'));
  const applicable = new Map(
    hostGroups.map((g) => [
      g.id,
      [g.pattern, ...wildcards.filter((w) => w !== g.pattern && covers(w, g.pattern)).sort(bySpecificity)],
    ]),
  );
  const appliesTo = new Map(
    hostPatterns.map((p) => [
      p,
      p.startsWith('*.') ? hostGroups.filter((g) => covers(p, g.pattern)) : [hostGroups[index.get(p)!]],
    ]),
  );

  // path → the route answering for any host there, and the route of each host pattern.
  const byPath = new Map<string, { any?: number; own: Map<string, number> }>();
  for (const r of routes) {
    const entry =
      byPath.get(r.path) ?? ({ own: new Map<string, number>() } as { any?: number; own: Map<string, number> });
    if (r.host === undefined) entry.any ??= r.index;
    else if (!entry.own.has(r.host)) entry.own.set(r.host, r.index);
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
    // where a host pattern applying to it has a route (the most specific such pattern wins over
    // the others and over an any-host route at the same path), or where an any-host route exists
    // (then it answers like any other host).
    for (const length of lengths) {
      if (length > path.length) continue;
      const entry = byPath.get(path.slice(0, length));
      if (!entry) continue;
      for (const owner of entry.own.keys()) {
        for (const g of appliesTo.get(owner)!) {
          if (decided.has(g.id)) continue;
          const pattern = applicable.get(g.id)!.find((p) => entry.own.has(p))!;
          decided.set(g.id, entry.own.get(pattern)!);
        }
      }
      if (entry.any !== undefined) {
        anyHost = entry.any;
        break;
      }
    }
    const exceptions = [...decided.entries()]
      .filter(([, route]) => route !== anyHost)
      .map(([group, route]) => ({ group, route }))
      .sort((a, b) => Number(a.group.slice(1)) - Number(b.group.slice(1)));
    return { id: `l${i}`, path, anyHost, exceptions };
  });
  return { hostGroups, locations };
}

/** Whether every host `pattern` matches is also matched by the route host `by` (exact or *.wildcard). */
export function covers(by: string, pattern: string): boolean {
  if (by === pattern) return true;
  if (!by.startsWith('*.')) return false;
  return pattern.endsWith(by.slice(1)) && pattern.length > by.length - 1;
}

/** Exact names first, then wildcards, longer (more specific) ones first. */
function bySpecificity(a: string, b: string): number {
  const wa = a.startsWith('*.'),
    wb = b.startsWith('*.');
  if (wa !== wb) return wa ? 1 : -1;
  return b.length - a.length || byCodePoint(a, b);
}
