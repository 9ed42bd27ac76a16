/**
 * Traffic settings → proxy locations.
 *
 * Routes hand requests to a named location per TLS profile (docs/scale.md: one SSL context per
 * proxying location on nginx < 1.23.1). Timeouts, retries, body size and buffering are
 * location-level directives nginx does not evaluate from variables, so a named location carries a
 * TLS profile *and* one set of those settings: upstreams and routes with equal settings share
 * it, and a spec that never sets them keeps exactly one location per TLS profile. Only distinct
 * combinations that routes really use cost a location (and, before 1.23.1, an SSL context).
 *
 * - Upstream-level: timeouts, retry. Route-level: maxBodySize, buffering, stripPath.
 * - retry.nonIdempotent "never": nginx retries a POST whose connect failed (nothing was sent), so
 *   POST, PATCH and LOCK are handed to a twin location with proxy_next_upstream off, chosen by a
 *   map on the request method; only for upstreams where a retry can happen (two or more servers).
 * - maxBodySize: nginx checks Content-Length in the location the URI matched (the route
 *   location), before the hand-over, and chunked bodies in the named location while reading. A
 *   route location shared by routes of different hosts gets the largest of their limits; the
 *   stricter routes' named locations then check Content-Length themselves (a line of Lua).
 * - stripPath: the named location rewrites the URI with ngx.req.set_uri (Lua); nginx then sends
 *   the new URI percent-encoded, as it does for `location /api/ { proxy_pass http://up/; }`.
 * - basePath (upstream-level): the path goes before the proxied one, joined as Kong's
 *   path_handling v0 joins a service path. Without stripPath the request's own bytes follow
 *   ($request_uri, passed as proxy_pass's URI, which nginx then sends verbatim); with stripPath
 *   the stripped rest follows and set_uri re-encodes it as above (basePath holds only characters
 *   nginx never escapes, so it reaches the upstream as written). The path comes from a map
 *   ($gw_base_path), so upstreams with different paths still share one location. Health checks
 *   enter the same location and skip it: healthCheck.path is requested as written.
 */
import type { GatewaySpec, RouteSpec, Size, UpstreamSpec } from '../load/spec-types.js';
import { summarizeList } from './comment-text.js';
import { shortHash } from './pem-out.js';
import type { ProxyLocationModel, TlsProfileModel, TrafficSettings } from './render-model.js';
import type { DispatchLocation } from './routing.js';
import { byCodePoint } from './routing.js';
import { largerLimit, sizeBytes, sizeText, stricterLimit } from '../load/units.js';

/** nginx's defaults, written out explicitly in every proxy location. */
export const DEFAULT_TIMEOUT = '60s';
export const DEFAULT_MAX_BODY_SIZE = '1m';
/** gwctl's default: the first attempt and up to two more servers. */
export const DEFAULT_TRIES = 3;
export const DEFAULT_NON_IDEMPOTENT: TrafficSettings['nonIdempotent'] = 'never';
/** Retried: connection and TLS handshake errors and timeouts; never HTTP statuses. */
const NEXT_UPSTREAM = 'error timeout';
/** Methods nginx itself treats as non-idempotent (ngx_http_upstream_next). */
export const NON_IDEMPOTENT_METHODS = ['LOCK', 'PATCH', 'POST'];

export interface TrafficPlan {
  proxyLocations: ProxyLocationModel[];
  /** Upstream name → named location for its routes with default route settings. */
  upstreamTarget: Map<string, string>;
  routeTargets: { route: string; target: string }[];
  methodTargets: { key: string; target: string }[];
  strip: { route: string; bytes: number }[];
  /** Dispatch location id → client_max_body_size there, where it differs from http{}. */
  locationBodySize: Map<string, string>;
  maxBodySize: string;
}

export function planTraffic(
  spec: GatewaySpec,
  profileOf: Map<string, TlsProfileModel>,
  locations: readonly DispatchLocation[],
  /** Upstreams requests are dispatched to: those of the routes, and the health-checked ones. */
  used: readonly string[],
): TrafficPlan {
  const routes = spec.routes ?? [];
  const globalLimit: Size = spec.limits?.maxBodySize ?? DEFAULT_MAX_BODY_SIZE;
  const limitOf = (r: RouteSpec): Size => r.maxBodySize ?? globalLimit;

  // Route locations: the largest limit of the routes answering there; stricter routes check again.
  const locationBodySize = new Map<string, string>();
  const checkContentLength = new Set<number>();
  for (const l of locations) {
    const served = [...new Set([l.anyHost, ...l.exceptions.map((e) => e.route)])].filter(
      (i): i is number => i !== undefined,
    );
    if (!served.length) continue;
    const largest = served.map((i) => limitOf(routes[i])).reduce(largerLimit);
    if (sizeBytes(largest) !== sizeBytes(globalLimit)) locationBodySize.set(l.id, sizeText(largest));
    for (const i of served) if (stricterLimit(limitOf(routes[i]), largest)) checkContentLength.add(i);
  }

  const byId = new Map<string, ProxyLocationModel & { users: Set<string> }>();
  const locationFor = (upstream: string, settings: TrafficSettings): string => {
    const profile = profileOf.get(upstream);
    const id = locationId(profile, settings, sizeText(globalLimit));
    const known = byId.get(id) ?? {
      id,
      summary: '',
      details: '',
      upstreams: [],
      tls: profile,
      settings,
      users: new Set<string>(),
    };
    known.users.add(upstream);
    byId.set(id, known);
    return `@${id}`;
  };
  const methodTargets = new Map<string, string>();
  /** The location for idempotent requests; registers the twin for the others where one is needed. */
  const targetFor = (name: string, settings: TrafficSettings): string => {
    const target = locationFor(name, settings);
    if (needsTwin(spec.upstreams![name], settings)) {
      const twin = locationFor(name, { ...settings, nextUpstream: 'off' });
      for (const m of NON_IDEMPOTENT_METHODS) methodTargets.set(`${target}|${m}`, twin);
    }
    return target;
  };

  const upstreamTarget = new Map<string, string>();
  for (const name of used)
    upstreamTarget.set(name, targetFor(name, settingsOf(spec.upstreams![name], undefined, globalLimit, false)));
  const routeTargets: { route: string; target: string }[] = [];
  const strip: { route: string; bytes: number }[] = [];
  routes.forEach((r, i) => {
    const target = targetFor(
      r.upstream,
      settingsOf(spec.upstreams![r.upstream], r, globalLimit, checkContentLength.has(i)),
    );
    if (target !== upstreamTarget.get(r.upstream)) routeTargets.push({ route: `r${i}`, target });
    if (r.stripPath) strip.push({ route: `r${i}`, bytes: Buffer.byteLength(r.path) });
  });

  const proxyLocations = [...byId.values()]
    .sort((a, b) => byCodePoint(a.id, b.id))
    .map(({ users, ...l }) => ({
      ...l,
      upstreams: [...users].sort(byCodePoint),
      summary: summaryOf(l.tls, [...users].sort(byCodePoint)),
      details: detailsOf(l.settings),
    }));
  return {
    proxyLocations,
    upstreamTarget,
    routeTargets,
    methodTargets: [...methodTargets.entries()]
      .sort(([a], [b]) => byCodePoint(a, b))
      .map(([key, target]) => ({ key, target })),
    strip,
    locationBodySize,
    maxBodySize: sizeText(globalLimit),
  };
}

function settingsOf(
  up: UpstreamSpec,
  route: RouteSpec | undefined,
  globalLimit: Size,
  check: boolean,
): TrafficSettings {
  const limit = route?.maxBodySize ?? globalLimit;
  const nonIdempotent = up.retry?.nonIdempotent ?? DEFAULT_NON_IDEMPOTENT;
  return {
    timeouts: {
      connect: up.timeouts?.connect ?? DEFAULT_TIMEOUT,
      read: up.timeouts?.read ?? DEFAULT_TIMEOUT,
      send: up.timeouts?.send ?? DEFAULT_TIMEOUT,
    },
    nextUpstream: nonIdempotent === 'always' ? `${NEXT_UPSTREAM} non_idempotent` : NEXT_UPSTREAM,
    nonIdempotent,
    tries: up.retry?.tries ?? DEFAULT_TRIES,
    retryTimeout: up.retry?.timeout ?? '0',
    maxBodySize: sizeText(limit),
    contentLengthLimit: check ? sizeBytes(limit) : undefined,
    requestBuffering: route?.buffering?.request ?? true,
    responseBuffering: route?.buffering?.response ?? true,
    stripPath: route?.stripPath ?? false,
    ...(basePathOf(up) !== undefined ? { basePath: true as const } : {}),
  };
}

/** The path put before every proxied path, or undefined when there is none ("/" adds nothing). */
export function basePathOf(up: UpstreamSpec): string | undefined {
  return up.basePath === undefined || up.basePath === '/' ? undefined : up.basePath;
}

/** A retry can happen: more than one server (backups included) and more than one try. */
function needsTwin(up: UpstreamSpec, s: TrafficSettings): boolean {
  return s.nonIdempotent === 'never' && s.tries > 1 && up.servers.length > 1;
}

/** The settings of a spec that says nothing about traffic. */
function isDefault(s: TrafficSettings, globalLimit: string): boolean {
  return (
    s.timeouts.connect === DEFAULT_TIMEOUT &&
    s.timeouts.read === DEFAULT_TIMEOUT &&
    s.timeouts.send === DEFAULT_TIMEOUT &&
    s.nextUpstream === NEXT_UPSTREAM &&
    s.nonIdempotent === DEFAULT_NON_IDEMPOTENT &&
    s.tries === DEFAULT_TRIES &&
    s.retryTimeout === '0' &&
    s.maxBodySize === globalLimit &&
    s.contentLengthLimit === undefined &&
    s.requestBuffering &&
    s.responseBuffering &&
    !s.stripPath &&
    !s.basePath
  );
}

/**
 * Stable names: a TLS profile with default settings keeps its profile's name (tls_<hash of the
 * profile>) and plain http its @gw_http; other combinations hash the profile and the settings.
 */
function locationId(profile: TlsProfileModel | undefined, s: TrafficSettings, globalLimit: string): string {
  const plain = isDefault(s, globalLimit);
  const key = JSON.stringify(s);
  if (!profile) return plain ? 'gw_http' : `gw_http_${shortHash(key, 10)}`;
  return plain ? profile.id : `tls_${shortHash(`${profile.id} ${key}`, 10)}`;
}

function summaryOf(tls: TlsProfileModel | undefined, users: string[]): string {
  return `${tls ? 'TLS profile' : 'plain http'} for upstream(s): ${summarizeList(users)}`;
}

function detailsOf(s: TrafficSettings): string {
  const parts = [
    `timeouts connect ${s.timeouts.connect}, read ${s.timeouts.read}, send ${s.timeouts.send}`,
    s.nextUpstream === 'off'
      ? 'POST, PATCH, LOCK: never retried'
      : `up to ${s.tries} tries${s.nonIdempotent === 'never' ? '' : `, POST, PATCH, LOCK too (${s.nonIdempotent})`}`,
    `body up to ${s.maxBodySize === '0' ? 'any size' : s.maxBodySize}`,
  ];
  if (!s.requestBuffering) parts.push('request streamed');
  if (!s.responseBuffering) parts.push('response streamed');
  if (s.stripPath) parts.push('route prefix stripped');
  if (s.basePath) parts.push("upstream's basePath put first");
  return parts.join('; ');
}
