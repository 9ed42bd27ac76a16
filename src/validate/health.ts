import { error, warning, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { GatewaySpec } from '../load/spec-types.js';
import { DEFAULT_HEALTH_CHECK } from '../plan/runtime.js';
import { durationMs } from '../plan/duration.js';
import { isListenAddress, numericHostProblem } from './addresses.js';
import { show } from './show.js';

/** The status listener and health checks: what the schema cannot say. */
export function validateHealth(spec: GatewaySpec): Diagnostic[] {
  const out: Diagnostic[] = [];
  const status = spec.status;
  if (status?.address !== undefined && !isListenAddress(status.address))
    out.push(
      error(
        'status.bad-address',
        `${show(status.address)} ${numericHostProblem(status.address) ?? 'is not an IPv4 address, [IPv6] address or host name'}`,
        ['status', 'address'],
      ),
    );
  const taken = status ? spec.listen.findIndex((l) => l.port === status.port) : -1;
  if (status && taken >= 0)
    out.push(
      error(
        'status.port-taken',
        `port ${status.port} is already a gateway listener (listen[${taken}]); the status listener needs a port of its own`,
        ['status', 'port'],
      ),
    );
  for (const [name, up] of Object.entries(spec.upstreams ?? {})) {
    const check = up.healthCheck;
    if (!check) continue;
    const path = ['upstreams', name, 'healthCheck'];
    if (!status)
      out.push(
        error(
          'health.status-required',
          'health checks run through the status listener (GET /status shows their results): add `status: { port: 9901 }` (it listens on 127.0.0.1 unless you give an address)',
          path,
        ),
      );
    const interval = check.interval ?? DEFAULT_HEALTH_CHECK.interval;
    const timeout = check.timeout ?? DEFAULT_HEALTH_CHECK.timeout;
    if (durationMs(timeout) >= durationMs(interval))
      out.push(
        warning(
          'health.timeout-not-below-interval',
          `timeout ${timeout} is not shorter than interval ${interval}: a peer's next check is skipped while its previous one still runs, so a hanging peer is taken out only after unhealthyAfter × ${timeout}`,
          [...path, check.timeout !== undefined ? 'timeout' : 'interval'],
        ),
      );
  }
  return out;
}
