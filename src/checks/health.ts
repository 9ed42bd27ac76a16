import { durationMs } from '../text/duration.js';
import { DEFAULT_HEALTH_CHECK } from '../load/spec-defaults.js';
import { isListenAddress, numericHostProblem } from '../text/addresses.js';
import { show } from '../text/show.js';
import type { Check, Finding } from './types.js';

export const statusBadAddress: Check = {
  code: 'status.bad-address',
  severity: 'error',
  scope: 'listen',
  needs: 'spec',
  summary: 'The status listener address is not an IP address or host name',
  help: 'Write an IPv4 address, an [IPv6] address in brackets, or a host name; leave `address` out for 127.0.0.1.',
  run: ({ spec }) =>
    spec.status?.address !== undefined && !isListenAddress(spec.status.address)
      ? [
          {
            path: ['status', 'address'],
            message: `${show(spec.status.address)} ${numericHostProblem(spec.status.address) ?? 'is not an IPv4 address, [IPv6] address or host name'}`,
          },
        ]
      : [],
};

export const statusPortTaken: Check = {
  code: 'status.port-taken',
  severity: 'error',
  scope: 'listen',
  needs: 'spec',
  summary: 'The status listener uses the port of a gateway listener',
  help: 'Give the status listener a port no `listen` entry uses: nginx would serve /status and traffic from one port, by address.',
  run: ({ spec }) => {
    const status = spec.status;
    const taken = status ? spec.listen.findIndex((l) => l.port === status.port) : -1;
    return status && taken >= 0
      ? [
          {
            path: ['status', 'port'],
            message: `port ${status.port} is already a gateway listener (listen[${taken}]); the status listener needs a port of its own`,
          },
        ]
      : [];
  },
};

export const healthStatusRequired: Check = {
  code: 'health.status-required',
  severity: 'error',
  scope: 'upstream',
  needs: 'spec',
  summary: 'Health checks without the status listener they run through',
  help: 'Add `status: { port: 9901 }` (127.0.0.1 unless you give an address): checks enter the proxy path through it, and GET /status shows their results.',
  run: ({ spec }) =>
    spec.status
      ? []
      : Object.entries(spec.upstreams ?? {}).flatMap(([name, up]): Finding[] =>
          up.healthCheck
            ? [
                {
                  path: ['upstreams', name, 'healthCheck'],
                  message:
                    'health checks run through the status listener (GET /status shows their results): add `status: { port: 9901 }` (it listens on 127.0.0.1 unless you give an address)',
                },
              ]
            : [],
        ),
};

export const healthTimeoutNotBelowInterval: Check = {
  code: 'health.timeout-not-below-interval',
  severity: 'warning',
  scope: 'upstream',
  needs: 'spec',
  summary: 'A health check may run longer than its interval',
  help: 'Make `timeout` shorter than `interval`: a peer is never checked twice at once, so checks that hang are skipped and a hanging peer is taken out later.',
  run: ({ spec }) =>
    Object.entries(spec.upstreams ?? {}).flatMap(([name, up]): Finding[] => {
      const check = up.healthCheck;
      if (!check) return [];
      const interval = check.interval ?? DEFAULT_HEALTH_CHECK.interval;
      const timeout = check.timeout ?? DEFAULT_HEALTH_CHECK.timeout;
      if (durationMs(timeout) < durationMs(interval)) return [];
      return [
        {
          path: ['upstreams', name, 'healthCheck', check.timeout !== undefined ? 'timeout' : 'interval'],
          message: `timeout ${timeout} is not shorter than interval ${interval}: a peer's next check is skipped while its previous one still runs, so a hanging peer is taken out only after unhealthyAfter × ${timeout}`,
        },
      ];
    }),
};
