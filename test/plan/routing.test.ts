import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { planDispatch, type Dispatch, type RouteInput } from '../../src/plan/routing.js';

// The references below are written here, from the rules as stated, independently of routing.ts.

/** A request host (lowercase, no port) matches an exact route host, or a *.wildcard it ends in. */
function hostMatches(pattern: string, host: string): boolean {
  return (
    pattern === host ||
    (pattern.startsWith('*.') && host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1)
  );
}

/** nginx's `map hostnames`: the exact pattern, else the longest matching wildcard. */
function hostGroupFor(patterns: readonly string[], host: string): string | undefined {
  if (patterns.includes(host)) return host;
  return patterns.filter((p) => p.startsWith('*.') && hostMatches(p, host)).sort((a, b) => b.length - a.length)[0];
}

/** The spec's rule: the longest path among the routes matching the host; at the same path exact, then the longer wildcard, then any host. */
function routeFor(routes: readonly RouteInput[], host: string | undefined, uriPath: string): number | undefined {
  const rank = (r: RouteInput) => (r.host === undefined ? -1 : r.host.startsWith('*.') ? r.host.length : 1000);
  return routes
    .filter(
      (r) => uriPath.startsWith(r.path) && (r.host === undefined || (host !== undefined && hostMatches(r.host, host))),
    )
    .sort((a, b) => b.path.length - a.path.length || rank(b) - rank(a))[0]?.index;
}

/**
 * What nginx does with the rendered config: `map hostnames` picks the host group (exact name,
 * else the longest matching wildcard), the longest location prefix the location, then the table.
 */
function dispatched(d: Dispatch, host: string | undefined, uri: string): number | undefined {
  let best: Dispatch['locations'][number] | undefined;
  for (const l of d.locations) if (uri.startsWith(l.path) && (!best || l.path.length > best.path.length)) best = l;
  assert.ok(best, `no location matches ${uri}: "/" must always exist`);
  const pattern =
    host === undefined
      ? undefined
      : hostGroupFor(
          d.hostGroups.map((g) => g.pattern),
          host,
        );
  const group = d.hostGroups.find((g) => g.pattern === pattern)?.id;
  return best.exceptions.find((e) => e.group === group)?.route ?? best.anyHost;
}

const routes = (list: [string, string?][]): RouteInput[] => list.map(([path, host], index) => ({ index, path, host }));

test('a host route overrides the any-host route at the same path; other hosts keep the any-host route', () => {
  const r = routes([['/a/'], ['/a/', 'x.test'], ['/b/', 'x.test']]);
  const d = planDispatch(r);
  assert.deepEqual(d.hostGroups, [{ id: 'h0', pattern: 'x.test' }]);
  assert.equal(dispatched(d, 'x.test', '/a/1'), 1);
  assert.equal(dispatched(d, 'y.test', '/a/1'), 0);
  assert.equal(dispatched(d, undefined, '/b/1'), undefined, 'no route: 404');
  assert.equal(dispatched(d, 'x.test', '/b/1'), 2);
  assert.equal(dispatched(d, 'x.test', '/c'), undefined);
});

test('a longer any-host path beats a shorter host path, as it would inside a server block per host', () => {
  const r = routes([['/', 'x.test'], ['/a/b/'], ['/a/', 'x.test']]);
  const d = planDispatch(r);
  assert.equal(dispatched(d, 'x.test', '/a/b/c'), 1);
  assert.equal(dispatched(d, 'x.test', '/a/c'), 2);
  assert.equal(dispatched(d, 'x.test', '/z'), 0);
  assert.equal(dispatched(d, 'other.test', '/z'), undefined);
});

test('only host groups whose answer differs are listed as exceptions', () => {
  const d = planDispatch(routes([['/'], ['/api/', 'a.test'], ['/api/', 'b.test'], ['/web/']]));
  const web = d.locations.find((l) => l.path === '/web/')!;
  assert.deepEqual(web.exceptions, [], 'a.test and b.test have no route of their own under /web/');
  const api = d.locations.find((l) => l.path === '/api/')!;
  assert.equal(api.anyHost, 0);
  assert.deepEqual(api.exceptions, [
    { group: 'h0', route: 1 },
    { group: 'h1', route: 2 },
  ]);
});

test('"/" is always a location, even when no route has it', () => {
  const d = planDispatch(routes([['/a/']]));
  assert.deepEqual(
    d.locations.map((l) => l.path),
    ['/', '/a/'],
  );
  assert.equal(d.locations[0].anyHost, undefined);
});

test('locations are in code-point order with stable ids (deterministic output on every machine)', () => {
  const d = planDispatch(routes([['/b'], ['/B'], ['/a'], ['/ä']]));
  assert.deepEqual(
    d.locations.map((l) => `${l.id} ${l.path}`),
    ['l0 /', 'l1 /B', 'l2 /a', 'l3 /b', 'l4 /ä'],
  );
});

test('a wildcard host route applies to the hosts it matches, even those with routes of their own', () => {
  const r = routes([
    ['/v1/', '*.example.com'],
    ['/billing/', 'api.example.com'],
    ['/'],
    ['/v1/', '*.eu.example.com'],
    ['/', '*.example.com'],
  ]);
  const d = planDispatch(r);
  assert.equal(dispatched(d, 'api.example.com', '/v1/orders'), 0, 'api.example.com matches *.example.com');
  assert.equal(dispatched(d, 'api.example.com', '/billing/x'), 1);
  assert.equal(dispatched(d, 'api.example.com', '/other'), 4, 'the wildcard\'s "/" beats the any-host "/"');
  assert.equal(dispatched(d, 'a.eu.example.com', '/v1/x'), 3, 'the longer wildcard wins at the same path');
  assert.equal(
    dispatched(d, 'a.eu.example.com', '/x'),
    4,
    'the shorter wildcard still applies where the longer has no route',
  );
  assert.equal(dispatched(d, 'example.com', '/v1/x'), 2, '*.example.com does not match example.com');
});

test("property: the dispatch table answers like the spec's rule (longest path among the routes matching the host)", () => {
  const segment = fc.constantFrom('a', 'b', 'ab', 'A', '%2F', 'x y');
  const path = fc
    .array(segment, { maxLength: 3 })
    .chain((segs) => fc.boolean().map((slash) => `/${segs.join('/')}${slash && segs.length ? '/' : ''}`));
  const host = fc.option(
    fc.constantFrom('x.test', 'y.test', 'a.w.test', 'w.test', '*.w.test', '*.x.w.test', 'b.x.w.test', '*.test'),
    { nil: undefined },
  );
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.tuple(path, host), { maxLength: 12, selector: ([p, h]) => `${h ?? '*'} ${p}` }),
      fc.array(
        fc.tuple(
          path,
          fc.constantFrom(
            undefined,
            'x.test',
            'y.test',
            'z.test',
            'w.test',
            'a.w.test',
            'q.w.test',
            'b.x.w.test',
            'c.x.w.test',
            'x.w.test',
            'test',
          ),
        ),
        { minLength: 1, maxLength: 10 },
      ),
      (list, requests) => {
        const r = list.map(([p, h], index) => ({ index, path: p, host: h }));
        const d = planDispatch(r);
        for (const [uri, h] of requests)
          assert.equal(dispatched(d, h, uri), routeFor(r, h, uri), `${h ?? 'any'} ${uri}`);
      },
    ),
    { numRuns: 1000 },
  );
});

test('10,000 routes over 20 hosts: one location per distinct path, exceptions only where a host has its own route', () => {
  const r: RouteInput[] = Array.from({ length: 10_000 }, (_, i) => ({
    index: i,
    path: `/api/u${i % 1000}/r${i}/`,
    host: i % 21 < 20 ? `h${i % 21}.example.com` : undefined,
  }));
  const d = planDispatch(r);
  assert.equal(d.locations.length, 10_001);
  assert.equal(d.hostGroups.length, 20);
  assert.equal(
    d.locations.reduce((n, l) => n + l.exceptions.length, 0),
    r.filter((x) => x.host).length,
  );
});
