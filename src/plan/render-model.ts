import type { SpecPath } from '../diagnostics/diagnostic.js';

/** Everything the templates see. Values here are plain data; quoting happens in the template helpers. */
export interface RenderModel {
  /** Comment lines at the top of nginx.conf. */
  header: string[];
  /** events { worker_connections }: 1024, more when health checks keep connections to many peers. */
  workerConnections: number;
  /** Absolute paths of dynamic modules to load (stock nginx flavor). */
  loadModules: string[];
  upstreams: UpstreamModel[];
  routing: RoutingModel;
  serverBlocks: ServerBlockModel[];
  /** Files written next to nginx.conf, relative to the output directory. */
  files: OutputFile[];
  /** Comments listing every upstream whose verification is deliberately off. */
  insecure: { upstream: string; reason: string }[];
  /** gwctl's Lua runtime (health checks, balancer, status), when the spec uses health checks or status. */
  lua?: LuaModel;
  /** The status listener, and the server health checks enter the proxy path through. */
  statusServer?: StatusServerModel;
}

export interface LuaModel {
  /** lua_shared_dict size for health state, e.g. "1m". */
  sharedDictSize: string;
  maxPendingTimers: number;
  maxRunningTimers: number;
  /** Any upstream has health checks (the profile locations then carry the 503 gate). */
  checks: boolean;
  /** Where the checker sends its requests: the status listener, as an address to connect to. */
  status: { connect: string; port: number };
  /** Every spec upstream, for /status; those with `check` are health-checked. */
  upstreams: LuaUpstreamModel[];
}

export interface LuaUpstreamModel {
  id: string;
  name: string;
  /** The named location a check enters (the upstream's TLS profile, or @gw_http); "" unchecked. */
  target: string;
  check?: {
    path: string;
    intervalMs: number;
    timeoutMs: number;
    healthyAfter: number;
    unhealthyAfter: number;
    /** Absent: 200 to 399. */
    statuses?: number[];
  };
  servers: {
    server: string;
    host: string;
    port: number;
    weight: number;
    maxFails: number;
    /** Seconds. */
    failTimeout: number;
    backup: boolean;
  }[];
}

export interface StatusServerModel {
  /** The listen directive's address: 127.0.0.1:9901. */
  listen: string;
  /** Render the check server (some upstream has health checks). */
  checks: boolean;
  /** The proxy locations health-checked upstreams' traffic uses, rendered from the same models. */
  proxyLocations: ProxyLocationModel[];
}

export interface OutputFile {
  path: string;
  content: string;
  /** For the render manifest: why the file was written, and the spec fields it came from. */
  why?: string;
  from?: SpecPath[];
}

export interface UpstreamModel {
  /** nginx upstream block name: stable, unique, derived from the spec name. */
  id: string;
  specName: string;
  servers: { address: string; params: string[] }[];
  keepalive: number;
  /** Peers are chosen by gwctl's Lua balancer (the upstream is health-checked). */
  balancer: boolean;
}

/**
 * One named location that proxies: a TLS profile (or plain http) together with the traffic
 * settings nginx only takes per location (timeouts, retries, body size, buffering, stripPath).
 * Routes and upstreams with equal settings share one; see src/plan/traffic.ts.
 */
export interface ProxyLocationModel {
  /** Named location: tls_<hash>, gw_http or gw_http_<hash>. */
  id: string;
  /** Who uses it, for the comment above it. */
  summary: string;
  /** Spec upstreams whose requests it proxies (the render manifest's source of its lines). */
  upstreams: string[];
  /** Its traffic settings in words, for a second comment line. */
  details: string;
  tls?: TlsProfileModel;
  settings: TrafficSettings;
}

/** Everything a proxy location sets besides TLS. Equal settings → one location. */
export interface TrafficSettings {
  timeouts: { connect: string; read: string; send: string };
  /** proxy_next_upstream value. */
  nextUpstream: string;
  /** retry.nonIdempotent: twins are chosen by the location, so the policy is part of it. */
  nonIdempotent: 'never' | 'unsent' | 'always';
  /** proxy_next_upstream_tries. */
  tries: number;
  /** proxy_next_upstream_timeout; 0 = no limit. */
  retryTimeout: string;
  /** client_max_body_size (checked here for chunked bodies). */
  maxBodySize: string;
  /** Bytes: a Content-Length above it is refused here, because the route location allowed more for another host. */
  contentLengthLimit?: number;
  requestBuffering: boolean;
  responseBuffering: boolean;
  /** Remove $gw_strip bytes of the URI before proxying. */
  stripPath: boolean;
  /** Put the upstream's basePath ($gw_base_path) before the proxied path. Absent, not false, when
   * there is none: location names hash these settings, and must not change for specs without it. */
  basePath?: true;
}

/** Everything that lives in one OpenSSL SSL_CTX. Upstreams with equal profiles share a context. */
export interface TlsProfileModel {
  id: string;
  verify: boolean;
  trustedCertificate?: string;
  crl?: string;
  verifyDepth: number;
  certificate?: string;
  certificateKey?: string;
  passwordFile?: string;
  /** The key or password file is a path of the rendering machine (not a hostPath): say so beside it. */
  localSecret?: boolean;
  protocols?: string[];
  ciphers?: string;
  sessionReuse: boolean;
  /** Spec upstreams using this profile, for the comment above it. */
  usedBy: string[];
}

export interface ServerBlockModel {
  listens: { address: string; params: string[] }[];
  serverNames: string[];
  tls?: {
    certificate: string;
    certificateKey: string;
    passwordFile?: string;
    protocols?: string[];
    localSecret?: boolean;
  };
  /** Named locations that proxy: one per TLS profile and traffic settings used by any route. */
  proxyLocations: ProxyLocationModel[];
}

/**
 * Route dispatch, rendered as maps in http{} and one location per distinct route path in every
 * server block (see src/plan/routing.ts and docs/scale.md).
 */
export interface RoutingModel {
  /** $host → $gw_vhost (map with `hostnames`): host groups with routes of their own. */
  hostGroups: { id: string; pattern: string }[];
  /** One location per distinct route path (plus "/" when no route has it). */
  locations: LocationModel[];
  /** $gw_loc → $gw_route_any: the route for hosts without their own route at that location. */
  anyHost: { location: string; route: string }[];
  /** "$gw_vhost:$gw_loc" → $gw_route where a host group's answer differs from anyHost. */
  exceptions: { key: string; route: string }[];
  /** $gw_route → $gw_upstream. */
  routes: RouteModel[];
  /** Routes that send the client's Host header ($gw_route → $gw_host = $http_host). */
  preserveHost: string[];
  /** $gw_upstream → $gw_upstream_host, $gw_ssl_name, $gw_upstream_target. */
  upstreams: UpstreamDispatchModel[];
  /** $gw_route → $gw_route_target, for routes whose settings differ from their upstream's. */
  routeTargets: { route: string; target: string }[];
  /** "$gw_route_target|$request_method" → $gw_target: non-idempotent requests that must not be retried. */
  methodTargets: { key: string; target: string }[];
  /** $gw_route → $gw_strip: bytes of the URI stripPath removes. */
  strip: { route: string; bytes: number }[];
  /** $gw_upstream → $gw_base_path: upstreams with a basePath. */
  basePaths: { upstreamId: string; name: string; basePath: string }[];
  /** client_max_body_size in http{}: limits.maxBodySize or nginx's 1m. */
  maxBodySize: string;
  /** map_hash_max_size / map_hash_bucket_size large enough for the maps above. */
  mapHash: { maxSize: number; bucketSize: number };
}

export interface LocationModel {
  /** Value of $gw_loc. */
  id: string;
  path: string;
  /** One-line summary of who answers here, for the comment above the location. */
  summary: string;
  /** Indexes of the spec routes answering here: host exceptions first, then the route for any host. */
  routes: number[];
  /** client_max_body_size here when its routes allow another size than http{} (the largest of theirs). */
  maxBodySize?: string;
}

export interface RouteModel {
  /** r<index in spec.routes>. */
  id: string;
  upstreamId: string;
}

export interface UpstreamDispatchModel {
  upstreamId: string;
  /** The spec upstream's name. */
  name: string;
  /** Host header sent upstream unless the route preserves the client's. */
  hostHeader: string;
  /** proxy_ssl_name for TLS upstreams. */
  sslName?: string;
  /** Named location the upstream's requests are handed to unless the route says otherwise. */
  target: string;
}
