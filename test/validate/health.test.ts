import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateHealth } from '../../src/validate/health.js';
import type { GatewaySpec } from '../../src/load/spec-types.js';

function spec(patch: (s: GatewaySpec) => void = () => {}): GatewaySpec {
  const s: GatewaySpec = {
    version: 1,
    listen: [{ port: 8080 }],
    status: { port: 9901 },
    upstreams: { orders: { servers: ['127.0.0.1:8443'], healthCheck: { path: '/healthz' } } },
    routes: [{ path: '/orders/', upstream: 'orders' }],
  };
  patch(s);
  return s;
}
const findings = (s: GatewaySpec) => validateHealth(s).map((d) => `${d.severity} ${d.code} ${d.path.join('.')}`);

test('health checks with a status listener, defaults everywhere else: no findings', () => {
  assert.deepEqual(findings(spec()), []);
});

test('health checks need the status listener they run through', () => {
  const ds = validateHealth(
    spec((s) => {
      delete s.status;
    }),
  );
  assert.deepEqual(
    ds.map((d) => [d.severity, d.code, d.path.join('.'), d.message]),
    [
      [
        'error',
        'health.status-required',
        'upstreams.orders.healthCheck',
        'health checks run through the status listener (GET /status shows their results): add `status: { port: 9901 }` (it listens on 127.0.0.1 unless you give an address)',
      ],
    ],
  );
  // near miss: no health check, no status: nothing to say
  assert.deepEqual(
    findings(
      spec((s) => {
        delete s.status;
        delete s.upstreams!.orders.healthCheck;
      }),
    ),
    [],
  );
});

test('the status listener needs a port of its own and an address nginx can listen on', () => {
  assert.deepEqual(
    findings(
      spec((s) => {
        s.status = { port: 8080, address: '127.1' };
      }),
    ),
    ['error status.bad-address status.address', 'error status.port-taken status.port'],
  );
  assert.deepEqual(
    findings(
      spec((s) => {
        s.status = { port: 8081, address: '[::1]' };
      }),
    ),
    [],
  );
});

test('a timeout not shorter than the interval is a warning at the field that was written', () => {
  assert.deepEqual(
    findings(
      spec((s) => {
        s.upstreams!.orders.healthCheck = { interval: '2s', timeout: '2000ms' };
      }),
    ),
    ['warning health.timeout-not-below-interval upstreams.orders.healthCheck.timeout'],
  );
  assert.deepEqual(
    findings(
      spec((s) => {
        s.upstreams!.orders.healthCheck = { interval: '1s' }; // default timeout 2s
      }),
    ),
    ['warning health.timeout-not-below-interval upstreams.orders.healthCheck.interval'],
  );
  assert.deepEqual(
    findings(
      spec((s) => {
        s.upstreams!.orders.healthCheck = { interval: '2s', timeout: '1999ms' };
      }),
    ),
    [],
  );
});
