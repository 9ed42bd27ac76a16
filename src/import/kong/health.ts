import { isDeepStrictEqual } from 'node:util';
import { show } from '../../text/show.js';
import { Fields, type Entity } from './fields.js';
import type { Findings } from './findings.js';
import type { OutHealthCheck, OutTls } from './gateway-out.js';
import type { MappedProtocol } from './service-target.js';
import { durationText } from './durations.js';
import type { Capabilities } from './capabilities.js';

/** Kong's defaults (kong/db/schema/entities/upstreams.lua, healthchecks_config). */
const HEALTHY_STATUSES = [200, 302];
const UNHEALTHY_STATUSES = [429, 404, 500, 501, 502, 503, 504, 505];
const DEFAULT_TIMEOUT = 1;
const DEFAULT_CONCURRENCY = 10;

/**
 * Kong's active health checks (healthchecks.active) as the spec's healthCheck, field by field;
 * what has no equivalent, or means something else, is listed. Kong probes only while an
 * interval is above 0 (0 is its default: no probing), so an upstream without one has no check.
 */
/** Whether Kong probes this upstream at all: an active interval above 0. */
export function activeChecksOn(up: Entity): boolean {
  const active = (
    up.data.healthchecks as { active?: { healthy?: { interval?: unknown }; unhealthy?: { interval?: unknown } } } | null
  )?.active;
  const positive = (v: unknown) => typeof v === 'number' && v > 0;
  return positive(active?.healthy?.interval) || positive(active?.unhealthy?.interval);
}

export function mapHealthCheck(
  up: Entity,
  label: string,
  protocol: MappedProtocol,
  tls: OutTls | undefined,
  caps: Pick<Capabilities, 'successStatuses'>,
  findings: Findings,
): OutHealthCheck | undefined {
  const f = new Fields(findings);
  const hc = f.record(up, 'healthchecks');
  if (!hc) return undefined;
  listPassive(hc, label, f, findings);
  const active = f.record(hc, 'active');
  if (!active) return undefined;
  const healthy = f.record(active, 'healthy') ?? { data: {}, path: [...active.path, 'healthy'] };
  const unhealthy = f.record(active, 'unhealthy') ?? { data: {}, path: [...active.path, 'unhealthy'] };
  const healthyInterval = f.num(healthy, 'interval', 0, 65535, false) ?? 0;
  const unhealthyInterval = f.num(unhealthy, 'interval', 0, 65535, false) ?? 0;
  if (healthyInterval === 0 && unhealthyInterval === 0) return undefined;

  const type = f.str(active, 'type') ?? 'http';
  if (type !== 'http' && type !== 'https') {
    findings.notMapped(
      [...active.path, 'type'],
      `${label}: active health checks of type ${show(type)} are not mapped (gwctl checks over http or https, as the traffic goes); no health check is imported`,
    );
    return undefined;
  }
  if ((type === 'https') !== (protocol === 'https'))
    findings.warn(
      'kong.differs',
      `${label}: Kong checks over ${type} while traffic goes over ${protocol}; gwctl checks the way traffic goes (${protocol})`,
      [...active.path, 'type'],
    );

  const interval = intervalOf(healthyInterval, unhealthyInterval, label, active, findings);
  const timeout = f.num(active, 'timeout', 0, 65535, false) ?? DEFAULT_TIMEOUT;
  const successes = f.num(healthy, 'successes', 0, 2 ** 31) ?? 0;
  const failures = ['http_failures', 'tcp_failures', 'timeouts'].map(
    (k) => [k, f.num(unhealthy, k, 0, 2 ** 31) ?? 0] as const,
  );
  const counting = failures.filter(([, n]) => n > 0);
  if (counting.length === 0) {
    findings.notMapped(
      unhealthy.path,
      `${label}: every unhealthy counter (http_failures, tcp_failures, timeouts) is 0, so Kong's active checks never take a target out; no health check is imported`,
    );
    return undefined;
  }
  const unhealthyAfter = Math.min(...counting.map(([, n]) => n));
  if (new Set(counting.map(([, n]) => n)).size > 1)
    findings.warn(
      'kong.differs',
      `${label}: Kong counts ${counting.map(([k, n]) => `${k} ${n}`).join(', ')} separately; gwctl counts failures of any kind, and takes a peer out after ${unhealthyAfter}`,
      unhealthy.path,
    );
  if (successes === 0)
    findings.warn(
      'kong.differs',
      `${label}: healthy.successes is 0, so Kong's active checks never bring a target back; gwctl brings a peer back after 1 successful check`,
      [...healthy.path, 'successes'],
    );

  const statuses = healthy.data.http_statuses;
  const successStatuses = statusList(statuses) ?? HEALTHY_STATUSES;
  if (!caps.successStatuses && !isDeepStrictEqual(successStatuses, HEALTHY_STATUSES))
    findings.warn(
      'kong.differs',
      `${label}: healthy.http_statuses ${JSON.stringify(statuses)}: gwctl counts 200-399 as healthy`,
      [...healthy.path, 'http_statuses'],
    );
  const bad = unhealthy.data.http_statuses;
  if (bad !== undefined && bad !== null && !isDeepStrictEqual(bad, UNHEALTHY_STATUSES))
    findings.warn(
      'kong.differs',
      `${label}: unhealthy.http_statuses ${JSON.stringify(bad)}: gwctl counts every status outside 200-399 as a failure`,
      [...unhealthy.path, 'http_statuses'],
    );
  verificationNotes(active, label, type, tls, f, findings);
  const concurrency = f.num(active, 'concurrency', 1, 2 ** 31);
  if (concurrency !== undefined && concurrency !== DEFAULT_CONCURRENCY)
    findings.notMapped(
      [...active.path, 'concurrency'],
      `${label}: concurrency ${concurrency} (probes Kong runs at once) has no gwctl equivalent; not imported`,
    );
  if (f.has(active, 'headers'))
    findings.notMapped(
      [...active.path, 'headers'],
      `${label}: headers sent with Kong's probes have no gwctl equivalent; not imported`,
    );

  return {
    path: f.str(active, 'http_path') ?? '/',
    interval: seconds(interval),
    timeout: seconds(timeout || DEFAULT_TIMEOUT),
    healthyAfter: Math.max(1, successes),
    unhealthyAfter,
    // Kong's healthy statuses, its default [200, 302] included, made explicit.
    ...(caps.successStatuses ? { successStatuses } : {}),
  };
}

function statusList(v: unknown): number[] | undefined {
  return Array.isArray(v) && v.length > 0 && v.every((n) => Number.isInteger(n) && n >= 100 && n <= 599)
    ? (v as number[])
    : undefined;
}

/** Kong probes healthy and unhealthy targets on separate intervals; gwctl has one. */
function intervalOf(healthy: number, unhealthy: number, label: string, active: Entity, findings: Findings): number {
  if (healthy === unhealthy) return healthy;
  const used = healthy === 0 ? unhealthy : unhealthy === 0 ? healthy : Math.min(healthy, unhealthy);
  const why =
    healthy === 0
      ? 'Kong probes only unhealthy targets (healthy.interval 0), so it never takes a healthy one out by probing'
      : unhealthy === 0
        ? 'Kong probes only healthy targets (unhealthy.interval 0), so it never brings an unhealthy one back by probing'
        : `Kong probes healthy targets every ${healthy}s and unhealthy ones every ${unhealthy}s`;
  findings.warn('kong.differs', `${label}: ${why}; gwctl probes every peer every ${used}s`, [...active.path]);
  return used;
}

function verificationNotes(
  active: Entity,
  label: string,
  type: string,
  tls: OutTls | undefined,
  f: Fields,
  findings: Findings,
): void {
  if (type !== 'https' || !tls) return;
  const verifies = f.bool(active, 'https_verify_certificate') ?? true;
  const trafficVerifies = tls.verify !== false;
  if (verifies !== trafficVerifies)
    findings.warn(
      'kong.differs',
      verifies
        ? `${label}: Kong's probes verify the certificate (https_verify_certificate: true) but traffic does not; gwctl's checks verify exactly as traffic does, so they do not verify either`
        : `${label}: Kong's probes do not verify the certificate (https_verify_certificate: false) but traffic does; gwctl's checks verify exactly as traffic does`,
      [...active.path, 'https_verify_certificate'],
    );
  const sni = f.str(active, 'https_sni');
  if (sni !== undefined && sni.toLowerCase() !== tls.serverName)
    findings.warn(
      'kong.differs',
      `${label}: Kong's probes send SNI ${show(sni)}; gwctl's checks send the traffic's ${tls.serverName ? show(tls.serverName) : 'server name'}`,
      [...active.path, 'https_sni'],
    );
}

function listPassive(hc: Entity, label: string, f: Fields, findings: Findings): void {
  const passive = f.record(hc, 'passive');
  const unhealthy = passive && f.record(passive, 'unhealthy');
  if (
    unhealthy &&
    ['http_failures', 'tcp_failures', 'timeouts'].some((k) => (f.num(unhealthy, k, 0, 2 ** 31) ?? 0) > 0)
  )
    findings.notMapped(
      [...hc.path, 'passive'],
      `${label}: passive health checks (Kong's circuit breaker on live traffic) have no gwctl equivalent; not imported`,
    );
  const threshold = f.num(hc, 'threshold', 0, 100, false);
  if (threshold !== undefined && threshold !== 0)
    findings.notMapped(
      [...hc.path, 'threshold'],
      `${label}: threshold ${threshold}% has no gwctl equivalent; not imported`,
    );
}

/** Kong's seconds (fractions allowed) as a spec duration. */
function seconds(value: number): string {
  return durationText(value * 1000).text;
}
