import { isIP } from 'node:net';
import { isDnsName } from '../../text/addresses.js';
import { basePathProblem } from '../../text/base-path.js';
import { show } from '../../text/show.js';
import { Fields, type Entity } from './fields.js';
import type { Findings } from './findings.js';

/** Service protocols gwctl proxies; Kong's others (grpc, tcp, tls, udp, ws...) are listed as not mapped. */
export type MappedProtocol = 'http' | 'https';

export interface ServiceTarget {
  protocol: MappedProtocol;
  host: string;
  port: number;
  /** The service's path as the spec's basePath, undefined when none or "/". */
  path?: string;
}

const DEFAULT_PORT: Record<MappedProtocol, number> = { http: 80, https: 443 };

/**
 * Where a Kong service sends traffic: `url` (Kong's shorthand, which wins over the separate
 * fields, as Kong expands it), else protocol/host/port/path with Kong's defaults (http, port 80).
 * Undefined, with a finding, when the protocol is not http or https or the host is unusable.
 */
export function serviceTarget(svc: Entity, label: string, findings: Findings): ServiceTarget | undefined {
  const f = new Fields(findings);
  const url = f.str(svc, 'url');
  let protocol: string;
  let host: string | undefined;
  let port: number | undefined;
  let path: string | undefined;
  if (url !== undefined) {
    const parsed = parseUrl(url);
    if (!parsed) {
      findings.error('kong.invalid', `url ${show(url)} is not scheme://host[:port][/path]`, [...svc.path, 'url']);
      return undefined;
    }
    for (const k of ['protocol', 'host', 'port', 'path'])
      if (f.has(svc, k))
        findings.warn('kong.differs', `${label}: both url and ${k} are set; Kong takes url, and so does the import`, [
          ...svc.path,
          k,
        ]);
    ({ protocol, host, port, path } = parsed);
  } else {
    protocol = f.str(svc, 'protocol') ?? 'http';
    host = f.str(svc, 'host');
    port = f.num(svc, 'port', 0, 65535);
    path = f.str(svc, 'path');
    if (host === undefined) {
      if (!f.has(svc, 'host')) findings.error('kong.invalid', `${label}: a service needs a host (or url)`, svc.path);
      return undefined;
    }
  }
  if (protocol !== 'http' && protocol !== 'https') {
    findings.notMapped(
      [...svc.path, url !== undefined ? 'url' : 'protocol'],
      `${label}: protocol ${show(protocol)} is not mapped (gwctl proxies http and https); the service and its routes are not imported`,
    );
    return undefined;
  }
  const pathField = [...svc.path, url !== undefined ? 'url' : 'path'];
  const basePath = path === undefined || path === '/' ? undefined : kongBasePath(path);
  if (basePath !== undefined && 'invalid' in basePath) {
    findings.error('kong.invalid', `${label}: path ${show(path)} ${basePath.invalid}`, pathField);
    return undefined;
  }
  if (basePath !== undefined && 'problem' in basePath) {
    findings.notMapped(
      pathField,
      `${label}: the service path ${show(path)} ${basePath.problem}, so gwctl cannot put it before forwarded paths as Kong does; the service and its routes are not imported`,
    );
    return undefined;
  }
  const hostName = host.toLowerCase().replace(/\.$/, '');
  if (isIP(hostName) === 0 && !isDnsName(hostName)) {
    findings.error('kong.invalid', `${label}: host ${show(host)} is not a DNS name or IP address`, [
      ...svc.path,
      url !== undefined ? 'url' : 'host',
    ]);
    return undefined;
  }
  return {
    protocol,
    host: hostName,
    port: port ?? DEFAULT_PORT[protocol],
    path: basePath?.path,
  };
}

/**
 * A Kong service path as the spec's basePath. Kong accepts letters, digits, . - _ ~ / and
 * %-escapes (typedefs.path); escapes of those same characters name the same path (RFC 3986) and
 * are written decoded, any other escape cannot be a basePath (nginx would re-encode it).
 */
export function kongBasePath(path: string): { path: string } | { invalid: string } | { problem: string } {
  if (!/^\/[A-Za-z0-9._~/%-]*$/.test(path))
    return {
      invalid: 'is not a path Kong accepts (it starts with / and holds only letters, digits, . - _ ~ / and %-escapes)',
    };
  if (/%(?![0-9A-Fa-f]{2})/.test(path)) return { invalid: 'holds a malformed %-escape (Kong refuses it)' };
  const decoded = path.replace(/%([0-9A-Fa-f]{2})/g, (encoded, hex: string) => {
    const c = String.fromCharCode(Number.parseInt(hex, 16));
    return /[A-Za-z0-9._~-]/.test(c) ? c : encoded;
  });
  const problem = basePathProblem(decoded);
  return problem === undefined ? { path: decoded } : { problem };
}

function parseUrl(text: string): { protocol: string; host: string; port?: number; path?: string } | undefined {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return undefined;
  }
  if (!u.hostname) return undefined;
  const port = u.port === '' ? undefined : Number(u.port);
  // Kong (socket.url) picks the protocol from the port when the scheme is missing; URL requires one.
  // The path as written: URL would resolve dot segments and escape characters Kong refuses.
  const path = text.replace(/^[^:]*:\/\/[^/?#]*/, '').replace(/[?#].*$/s, '');
  return {
    protocol: u.protocol.replace(/:$/, ''),
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    path: path === '' ? undefined : path,
  };
}

/** The Host header Kong sends (kong/runloop/balancer set_host_header): name, then ":port" unless it is the protocol's own. */
export function kongHostHeader(name: string, port: number, protocol: MappedProtocol): string {
  const shown = isIP(name) === 6 ? `[${name}]` : name;
  return port === DEFAULT_PORT[protocol] ? shown : `${shown}:${port}`;
}
