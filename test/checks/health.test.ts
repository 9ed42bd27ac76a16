import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecks } from '../../src/checks/index.js';
import type { GatewaySpec } from '../../src/load/spec-types.js';

const spec = (patch: Partial<GatewaySpec>): GatewaySpec => ({
  version: 1,
  listen: [{ port: 8080 }],
  upstreams: { orders: { servers: ['127.0.0.1:8443'], healthCheck: { interval: '1s' } } },
  routes: [{ path: '/orders/', upstream: 'orders' }],
  ...patch,
});
const run = (s: GatewaySpec) =>
  runChecks('spec', { spec: s, specDir: '/' }).map((d) => [d.severity, d.code, d.path.join('.'), d.message]);

test('health checks without a status listener: what to add, and the default timeout measured against the interval written', () => {
  assert.deepEqual(run(spec({})), [
    [
      'error',
      'health.status-required',
      'upstreams.orders.healthCheck',
      'health checks run through the status listener (GET /status shows their results): add `status: { port: 9901 }` (it listens on 127.0.0.1 unless you give an address)',
    ],
    [
      'warning',
      'health.timeout-not-below-interval',
      'upstreams.orders.healthCheck.interval',
      "timeout 2s is not shorter than interval 1s: a peer's next check is skipped while its previous one still runs, so a hanging peer is taken out only after unhealthyAfter × 2s",
    ],
  ]);
});

test('the status listener on a gateway port, at an address nginx reads as another one', () => {
  assert.deepEqual(run(spec({ status: { port: 8080, address: '0x7f.1' } })).slice(0, 2), [
    [
      'error',
      'status.bad-address',
      'status.address',
      '"0x7f.1" looks like an IPv4 address but is not one in dotted-quad form (four decimal numbers 0-255, no leading zeros, no trailing dot): resolvers read such text as some address (1.2.3 as 1.2.0.3, 0x7f.1 as 127.0.0.1) or refuse it, and so does nginx -t (999.1.1.1); write the address as a dotted quad, or use a DNS name',
    ],
    [
      'error',
      'status.port-taken',
      'status.port',
      'port 8080 is already a gateway listener (listen[0]); the status listener needs a port of its own',
    ],
  ]);
});
