import { DEFAULT_HEALTH_CHECK } from '../load/spec-defaults.js';
import type { GatewaySpec } from '../load/spec-types.js';
import { parseHostPort } from '../text/addresses.js';
import { durationMs } from '../text/duration.js';
import type { LuaModel, ProxyLocationModel, StatusServerModel, UpstreamDispatchModel } from './render-model.js';
import { failTimeoutSeconds } from '../load/units.js';

export const DEFAULT_STATUS_ADDRESS = '127.0.0.1';
/** nginx's defaults for a server's weight, max_fails and fail_timeout (seconds). */
const NGINX_SERVER_DEFAULTS = { weight: 1, maxFails: 1, failTimeout: 10 };

/**
 * The Lua runtime and the status listener, or nothing when the spec uses neither health checks
 * nor status (the output then has no Lua at all). `dispatch` must hold every health-checked
 * upstream: a check enters the same named location as that upstream's traffic.
 */
export function planRuntime(
  spec: GatewaySpec,
  upstreamId: (name: string) => string,
  dispatch: UpstreamDispatchModel[],
  proxyLocations: ProxyLocationModel[],
): { lua?: LuaModel; statusServer?: StatusServerModel } {
  const status = spec.status;
  if (!status) return {};
  const upstreams = Object.entries(spec.upstreams ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const targetOf = new Map(dispatch.map((d) => [d.upstreamId, d.target]));
  const checked = upstreams.filter(([, u]) => u.healthCheck);
  const address = status.address ?? DEFAULT_STATUS_ADDRESS;
  const servers = upstreams.reduce((n, [, u]) => n + u.servers.length, 0);
  const lua: LuaModel = {
    // per peer: health flag, two counters and the last error (up to ~300 bytes); nginx rounds to pages
    sharedDictSize: `${Math.max(1, Math.ceil((servers * 4) / 1024))}m`,
    maxPendingTimers: Math.max(1024, 2 * checked.length + 64),
    maxRunningTimers: Math.max(256, checked.length + 64),
    checks: checked.length > 0,
    status: { connect: connectAddress(address), port: status.port },
    upstreams: upstreams.map(([name, up]) => {
      const check = up.healthCheck;
      const id = upstreamId(name);
      return {
        id,
        name,
        target: check ? targetOf.get(id)! : '',
        check: check && {
          path: check.path ?? DEFAULT_HEALTH_CHECK.path,
          intervalMs: durationMs(check.interval ?? DEFAULT_HEALTH_CHECK.interval),
          timeoutMs: durationMs(check.timeout ?? DEFAULT_HEALTH_CHECK.timeout),
          healthyAfter: check.healthyAfter ?? DEFAULT_HEALTH_CHECK.healthyAfter,
          unhealthyAfter: check.unhealthyAfter ?? DEFAULT_HEALTH_CHECK.unhealthyAfter,
          statuses: check.successStatuses && [...check.successStatuses].sort((a, b) => a - b),
        },
        servers: up.servers.map((s) => {
          const o = typeof s === 'string' ? { address: s } : s;
          const hp = parseHostPort(o.address)!;
          return {
            server: o.address,
            host: hp.host,
            port: hp.port,
            weight: o.weight ?? NGINX_SERVER_DEFAULTS.weight,
            maxFails: o.maxFails ?? NGINX_SERVER_DEFAULTS.maxFails,
            failTimeout:
              o.failTimeout === undefined ? NGINX_SERVER_DEFAULTS.failTimeout : failTimeoutSeconds(o.failTimeout),
            backup: o.backup ?? false,
          };
        }),
      };
    }),
  };
  const checkedTargets = new Set(checked.map(([name]) => targetOf.get(upstreamId(name))));
  const statusServer: StatusServerModel = {
    listen: `${address}:${status.port}`,
    checks: checked.length > 0,
    proxyLocations: proxyLocations.filter((l) => checkedTargets.has(`@${l.id}`)),
  };
  return { lua, statusServer };
}

/** The address the checker connects to: the status listener's, loopback for a wildcard. */
function connectAddress(address: string): string {
  if (address === '0.0.0.0' || address === '*') return '127.0.0.1';
  if (address === '[::]') return '::1';
  return address.replace(/^\[(.*)\]$/, '$1');
}
