import { isHostPattern } from '../../text/addresses.js';
import { show } from '../../text/show.js';
import { Fields, type Entity } from './fields.js';
import type { Findings } from './findings.js';
import type { OutRoute } from './gateway-out.js';
import type { Capabilities } from './capabilities.js';
import type { FormatVersion } from './kong-file.js';
import { prefixPath } from './route-paths.js';
import { listUnmapped, ROUTE_FIELDS } from './unmapped.js';

export interface MappedService {
  /** The spec upstream serving it. */
  upstream: string;
  protocol: 'http' | 'https';
  /** The service's own path (not "/"): the upstream's basePath. */
  path?: string;
}

const HTTP_PROTOCOLS = new Set(['http', 'https']);

/**
 * One Kong route as spec routes: one per (host, path) pair, Kong's defaults made explicit
 * (strip_path true, preserve_host false, any host and any path when none is given). Whatever the
 * route matches on besides host and path is listed, since gwctl would route more than Kong does.
 */
export function mapRoute(
  route: Entity,
  service: MappedService,
  format: FormatVersion,
  caps: Pick<Capabilities, 'stripPath' | 'buffering'>,
  findings: Findings,
): OutRoute[] {
  const f = new Fields(findings);
  const label = routeLabel(route);
  listUnmapped(route, ROUTE_FIELDS, label, findings);
  if (f.has(route, 'expression')) return [];

  const protocols = f.strings(route, 'protocols') ?? ['http', 'https'];
  if (!protocols.some((p) => HTTP_PROTOCOLS.has(p))) {
    findings.notMapped(
      [...route.path, 'protocols'],
      `${label}: protocols ${JSON.stringify(protocols)} are not mapped (gwctl routes http); the route is not imported`,
    );
    return [];
  }
  if (!protocols.includes('http'))
    findings.warn(
      'kong.differs',
      `${label}: Kong serves this route on its TLS proxy port only (protocols ${JSON.stringify(protocols)}; plain http gets ${f.num(route, 'https_redirect_status_code', 0, 999) ?? 426}); the imported gateway listens on plain http and serves it there`,
      [...route.path, 'protocols'],
    );

  const paths: string[] = [];
  (f.strings(route, 'paths') ?? []).forEach((p, i) => {
    const mapped = prefixPath(p, format);
    if ('path' in mapped) paths.push(mapped.path);
    else findings.notMapped([...route.path, 'paths', i], `${label}: path ${show(p)} ${mapped.problem}; not imported`);
  });
  const hosts: (string | undefined)[] = [];
  (f.strings(route, 'hosts') ?? []).forEach((h, i) => {
    const host = h.toLowerCase().replace(/\.$/, '');
    if (isHostPattern(host)) hosts.push(host);
    else
      findings.notMapped(
        [...route.path, 'hosts', i],
        `${label}: host ${show(h)} ${/:\d+$/.test(h) ? 'names a port' : host.endsWith('.*') ? 'is a suffix wildcard' : 'is not a host name'}; gwctl matches exact names and *.leading wildcards only; not imported`,
      );
  });
  const declaredPaths = (f.strings(route, 'paths') ?? []).length;
  const declaredHosts = (f.strings(route, 'hosts') ?? []).length;
  if ((declaredPaths && !paths.length) || (declaredHosts && !hosts.length)) {
    findings.warn(
      'kong.not-mapped',
      `${label}: none of its ${declaredPaths && !paths.length ? 'paths' : 'hosts'} can be mapped; the route is not imported`,
      route.path,
    );
    return [];
  }
  if (!paths.length) paths.push('/');
  if (!hosts.length) hosts.push(undefined);

  const stripPath = f.bool(route, 'strip_path') ?? true;
  const preserveHost = f.bool(route, 'preserve_host') ?? false;
  if (preserveHost && service.protocol === 'https')
    findings.warn(
      'kong.differs',
      `${label}: with preserve_host Kong sends the client's Host as SNI and checks the upstream certificate against it; gwctl passes the client's Host header but sends and checks the upstream's serverName`,
      [...route.path, 'preserve_host'],
    );
  // v0 and v1 join a service path "/" and the request path alike; they differ only under a longer one.
  if ((f.str(route, 'path_handling') ?? 'v0') === 'v1' && service.path)
    findings.notMapped(
      [...route.path, 'path_handling'],
      `${label}: path_handling v1 (deprecated, ignored by Kong 3's default router) is not mapped: it joins the service path ${show(service.path)} and the request path without a slash between them where v0 puts one (service path /v1, route path /orders/, request /orders/x: v1 sends /v1x, v0 /v1/x); gwctl's basePath joins as v0 does`,
    );
  const request = f.bool(route, 'request_buffering');
  const response = f.bool(route, 'response_buffering');
  const buffering =
    request === false || response === false
      ? { ...(request === false ? { request: false } : {}), ...(response === false ? { response: false } : {}) }
      : undefined;

  if (stripPath && !caps.stripPath)
    findings.notMapped(
      f.has(route, 'strip_path') ? [...route.path, 'strip_path'] : route.path,
      `${label}: strip_path ${f.has(route, 'strip_path') ? 'true' : 'is unset, and Kong strips by default'}: not mapped yet (this gwctl has no stripPath); requests are forwarded with the matched path`,
    );
  if (buffering && !caps.buffering)
    findings.notMapped(
      route.path,
      `${label}: request_buffering/response_buffering false is not mapped yet (this gwctl has no buffering); nginx buffers`,
    );
  const out: OutRoute[] = [];
  for (const host of hosts)
    for (const path of paths)
      out.push({
        path,
        upstream: service.upstream,
        ...(host !== undefined ? { host } : {}),
        ...(caps.stripPath ? { stripPath } : {}),
        preserveHost,
        ...(buffering && caps.buffering ? { buffering } : {}),
      });
  return out;
}

/** How messages name a Kong route: its name, else its id, else where it is. */
export function routeLabel(route: Entity): string {
  const { name, id } = route.data;
  return `route ${show(typeof name === 'string' ? name : typeof id === 'string' ? id : route.path.join('.'))}`;
}
