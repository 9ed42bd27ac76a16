import { isIP } from 'node:net';
import { show } from '../../text/show.js';
import type { Capabilities } from './capabilities.js';
import { collectEntities } from './entities.js';
import { Fields, type Entity } from './fields.js';
import type { Findings } from './findings.js';
import { GatewayOut, type OutUpstream } from './gateway-out.js';
import { durationText } from './durations.js';
import { activeChecksOn, mapHealthCheck } from './health.js';
import type { KongFile } from './kong-file.js';
import { dropDuplicates, routeOrderDifferences, type PlacedRoute } from './route-order.js';
import { mapRoute, routeLabel, type MappedService } from './routes.js';
import { kongHostHeader, serviceTarget } from './service-target.js';
import { mapTargets, type Server } from './targets.js';
import { mapTls, refuseTlsOnHttp, type KongDefaults } from './tls.js';
import { CERTIFICATE_FIELDS, listUnmapped, SERVICE_FIELDS, UPSTREAM_FIELDS } from './unmapped.js';

export interface ImportOptions {
  defaults: KongDefaults;
  /** Which second-wave spec fields this gwctl has (see capabilities.ts). */
  capabilities: Capabilities;
  /** The gateway's listener: Kong's default proxy port, 8000. */
  listen: { port: number; address?: string };
  /** The status listener health checks run through (Kong's status_listen is conventionally 8100). */
  statusListen?: { port: number; address: string };
}

/** Kong's proxy port (proxy_listen 0.0.0.0:8000): the contract's default listener. */
export const KONG_PROXY_PORT = 8000;
/** Where the import puts the status listener: Kong's documented status_listen port, on loopback. */
export const KONG_STATUS_LISTEN = { port: 8100, address: '127.0.0.1' };

/**
 * Kong entities → a gwctl gateway. Each Kong service becomes one spec upstream (Kong sets upstream
 * TLS per service), whose servers are the targets of the Kong upstream its host names, or the host
 * itself; its routes follow. Findings say what is not mapped and where gwctl differs.
 */
export function importKong(kong: KongFile, findings: Findings, opts: ImportOptions): GatewayOut {
  const out = new GatewayOut();
  const f = new Fields(findings);
  const entities = collectEntities(kong.root, findings);
  for (const p of entities.plugins)
    findings.notMapped(
      p.path,
      `plugin ${show(f.str(p, 'name') ?? '(unnamed)')}: Kong plugins have no gwctl equivalent; not imported`,
    );

  const upstreamByName = new Map(entities.upstreams.map((u) => [String(u.data.name ?? '').toLowerCase(), u]));
  const serversOf = new Map<Entity, Server[]>();
  const usedUpstreams = new Set<Entity>();
  for (const u of entities.upstreams) listUnmapped(u, UPSTREAM_FIELDS, `upstream ${show(u.data.name)}`, findings);

  const mapped = new Map<Entity, MappedService>();
  entities.services.forEach((svc, i) => {
    const label = `service ${show(f.str(svc, 'name') ?? f.str(svc, 'id') ?? `#${i + 1}`)}`;
    listUnmapped(svc, SERVICE_FIELDS, label, findings);
    if (f.bool(svc, 'enabled') === false) {
      findings.notMapped(
        [...svc.path, 'enabled'],
        `${label} is disabled (enabled: false): Kong routes nothing to it; it and its routes are not imported`,
      );
      return;
    }
    const target = serviceTarget(svc, label, findings);
    if (!target) return;
    if (target.protocol === 'http') refuseTlsOnHttp(svc, label, findings);
    const kongUp = upstreamByName.get(target.host);
    let servers: Server[];
    let hostNames: string[];
    if (kongUp) {
      usedUpstreams.add(kongUp);
      if (!serversOf.has(kongUp))
        serversOf.set(kongUp, mapTargets(String(kongUp.data.name), entities.targets.get(kongUp)!, findings));
      servers = serversOf.get(kongUp)!;
      if (!servers.length) {
        findings.warn(
          'kong.not-mapped',
          `${label}: upstream ${show(kongUp.data.name)} has no target that takes traffic (Kong answers 503); the service is not imported`,
          kongUp.path,
        );
        return;
      }
      const hostHeader = f.str(kongUp, 'host_header');
      hostNames = servers.map((s) =>
        kongHostHeader(hostHeader?.replace(/:\d+$/, '').toLowerCase() ?? s.host, s.port, target.protocol),
      );
    } else {
      servers = [{ host: target.host, port: target.port, address: hostPort(target.host, target.port), weight: 1 }];
      hostNames = [kongHostHeader(target.host, target.port, target.protocol)];
    }
    const distinct = [...new Set(hostNames)];
    if (distinct.length > 1) {
      // Per target: the Host, and over https the SNI and the name checked (the Host without its port).
      const names = new Set(distinct.map(stripPort));
      const tlsToo = target.protocol === 'https' && names.size > 1;
      findings.warn(
        'kong.differs',
        `${label}: Kong sends each target its own Host${tlsToo ? ', sends it as SNI and checks the certificate against it' : ''} (${distinct.join(', ')}); gwctl sends ${distinct[0]} to all of them${tlsToo ? ': set host_header on the Kong upstream to the name every certificate carries, or check each server with `gwctl probe`' : ''}`,
        kongUp?.path ?? svc.path,
      );
    }
    const hostHeader = distinct[0];
    const name = out.uniqueName(f.str(svc, 'name'), `service-${i + 1}`);
    const up: OutUpstream = {
      servers: servers.every((s) => s.weight === servers[0].weight)
        ? servers.map((s) => s.address)
        : servers.map((s) => ({ address: s.address, weight: s.weight })),
      // An IP address is no hostHeader the spec takes; gwctl's default for it, the first server's
      // address with its port unless 80 (http) or 443 (https), is what Kong sends.
      ...(isIP(stripPort(hostHeader).replace(/^\[|\]$/g, '')) ? {} : { hostHeader }),
      // Kong's service path, joined with the forwarded path as Kong's path_handling v0 does.
      ...(target.path !== undefined ? { basePath: target.path } : {}),
    };
    if (target.protocol === 'https') {
      const tls = mapTls(svc, label, name, stripPort(hostHeader), kongUp, {
        entities,
        out,
        findings,
        defaults: opts.defaults,
      });
      if (tls) up.tls = tls;
    }
    if (kongUp) {
      if (opts.capabilities.healthCheck) {
        const hc = mapHealthCheck(
          kongUp,
          `upstream ${show(kongUp.data.name)} (${label})`,
          target.protocol,
          up.tls,
          opts.capabilities,
          findings,
        );
        if (hc) {
          up.healthCheck = hc;
          out.status = opts.statusListen ?? KONG_STATUS_LISTEN;
        }
      } else if (activeChecksOn(kongUp))
        findings.notMapped(
          [...kongUp.path, 'healthchecks', 'active'],
          `upstream ${show(kongUp.data.name)}: active health checks are not mapped yet (this gwctl has no healthCheck); Kong takes failing targets out, this gateway will not`,
        );
    }
    mapTimeouts(svc, label, up, opts.capabilities, f, findings);
    mapRetries(svc, label, up, opts.capabilities, f, findings);
    out.upstreams.set(name, up);
    mapped.set(svc, { upstream: name, protocol: target.protocol, path: target.path });
  });

  const placed: PlacedRoute[] = [];
  for (const { route, service } of entities.routes) {
    const label = routeLabel(route);
    if (!service) {
      if (route.data.service === undefined || route.data.service === null)
        findings.warn('kong.not-mapped', `${label} has no service (Kong answers 503 for it); not imported`, route.path);
      continue;
    }
    const svc = mapped.get(service);
    if (!svc) {
      findings.warn('kong.not-mapped', `${label}: its service is not imported, so neither is the route`, route.path);
      continue;
    }
    for (const r of mapRoute(route, svc, kong.format, opts.capabilities, findings))
      placed.push({ route: r, path: route.path, label });
  }
  const kept = dropDuplicates(placed, findings);
  routeOrderDifferences(kept, findings);
  out.routes.push(...kept.map((p) => p.route));

  for (const u of entities.upstreams)
    if (!usedUpstreams.has(u))
      findings.notMapped(
        u.path,
        `upstream ${show(u.data.name)}: no service's host names it, so Kong sends it no traffic; not imported`,
      );
  for (const [id, cert] of entities.certificates)
    if (!out.clientCertIds.has(id)) {
      listUnmapped(cert, CERTIFICATE_FIELDS, `certificate ${show(id)}`, findings);
      const snis = Array.isArray(cert.data.snis)
        ? cert.data.snis.map((s) => (typeof s === 'string' ? s : (s as { name?: string })?.name)).filter(Boolean)
        : [];
      findings.notMapped(
        cert.path,
        `certificate ${show(id)}${snis.length ? ` (snis ${snis.join(', ')})` : ''} serves Kong's TLS proxy listener; the imported gateway listens on plain http, so it is not imported`,
      );
    }
  for (const [id, ca] of entities.caCertificates)
    if (!out.caIds.has(id))
      findings.notMapped(
        ca.path,
        `ca_certificate ${show(id)}: no service names it in ca_certificates, so it verifies nothing; not imported`,
      );
  return out;
}

/** Kong's connect/read/write timeouts (ms, default 60000, as nginx's own 60s) as the spec's timeouts. */
function mapTimeouts(
  svc: Entity,
  label: string,
  up: OutUpstream,
  caps: Capabilities,
  f: Fields,
  findings: Findings,
): void {
  const ms = (key: string) => f.num(svc, key, 1, 2 ** 31 - 2) ?? KONG_DEFAULT_TIMEOUT_MS;
  const [connect, read, send] = ['connect_timeout', 'read_timeout', 'write_timeout'].map(ms);
  if (caps.timeouts) {
    const [c, r, w] = [connect, read, send].map(durationText);
    up.timeouts = { connect: c.text, read: r.text, send: w.text };
    for (const [key, d] of [
      ['connect_timeout', c],
      ['read_timeout', r],
      ['write_timeout', w],
    ] as const)
      if (!d.exact)
        findings.warn(
          'kong.differs',
          `${label}: ${key} is written as ${d.text}, the nearest duration the spec can hold`,
          [...svc.path, key],
        );
    return;
  }
  for (const [key, value] of [
    ['connect_timeout', connect],
    ['read_timeout', read],
    ['write_timeout', send],
  ] as const)
    if (value !== KONG_DEFAULT_TIMEOUT_MS)
      findings.notMapped(
        [...svc.path, key],
        `${label}: ${key} ${value} ms is not mapped yet (this gwctl has no timeouts); nginx's default, 60 s, applies`,
      );
}

const KONG_DEFAULT_TIMEOUT_MS = 60000;
const KONG_DEFAULT_RETRIES = 5;
/** The spec's retry.tries maximum. */
const MAX_TRIES = 100;

/**
 * Kong's retries (5 by default) as retry.tries, the first attempt included. Kong retries after a
 * connection error or timeout, and a request already sent only when idempotent: nginx's own
 * proxy_next_upstream default, which is retry.nonIdempotent "unsent".
 */
function mapRetries(
  svc: Entity,
  label: string,
  up: OutUpstream,
  caps: Capabilities,
  f: Fields,
  findings: Findings,
): void {
  const retries = f.num(svc, 'retries', 0, 32767) ?? KONG_DEFAULT_RETRIES;
  if (!caps.retry) {
    if (retries !== KONG_DEFAULT_RETRIES)
      findings.notMapped(
        [...svc.path, 'retries'],
        `${label}: retries ${retries} is not mapped yet (this gwctl has no retry); nginx's default applies`,
      );
    return;
  }
  up.retry = { tries: Math.min(retries + 1, MAX_TRIES), nonIdempotent: 'unsent' };
  if (retries + 1 > MAX_TRIES)
    findings.warn('kong.differs', `${label}: retries ${retries}: gwctl tries at most ${MAX_TRIES} times`, [
      ...svc.path,
      'retries',
    ]);
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function stripPort(hostHeader: string): string {
  return hostHeader.startsWith('[') ? hostHeader.slice(1, hostHeader.indexOf(']')) : hostHeader.replace(/:\d+$/, '');
}
