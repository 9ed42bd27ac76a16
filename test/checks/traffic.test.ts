import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GatewaySpec } from '../../src/load/spec-types.js';
import { validateSchema } from '../../src/validate/schema.js';
import { runChecks } from '../../src/checks/index.js';

function spec(patch: (s: GatewaySpec) => void = () => {}): GatewaySpec {
  const s: GatewaySpec = {
    version: 1,
    listen: [{ port: 8080 }],
    upstreams: { orders: { servers: ['127.0.0.1:8081', '127.0.0.1:8082'] } },
    routes: [{ path: '/orders/', upstream: 'orders' }],
  };
  patch(s);
  return s;
}
/** The checks of the spec alone, as checkSpec runs them. */
const validateTraffic = (s: GatewaySpec) => runChecks('spec', { spec: s, specDir: '/nonexistent' });
const found = (s: GatewaySpec) =>
  validateTraffic(s).map((d) => ({ code: d.code, severity: d.severity, path: d.path.join('.') }));
const schema = (s: unknown) =>
  validateSchema(s).map((d) => ({ code: d.code, path: d.path.join('.'), message: d.message }));

test('every traffic field set to a sensible value: no findings, schema included', () => {
  const s = spec((x) => {
    x.runtime = { nginxVersion: '1.22.1' };
    x.limits = { maxBodySize: '10m' };
    x.upstreams!.orders = {
      servers: [
        '127.0.0.1:8081',
        { address: '127.0.0.1:8082', weight: 2, maxFails: 3, failTimeout: '30s', backup: true },
      ],
      timeouts: { connect: '5s', read: '500ms', send: '1m' },
      retry: { tries: 2, timeout: '10s', nonIdempotent: 'unsent' },
    };
    x.routes![0] = {
      path: '/orders/',
      upstream: 'orders',
      maxBodySize: 0,
      buffering: { request: false, response: false },
      stripPath: true,
    };
  });
  assert.deepEqual(schema(s), []);
  assert.deepEqual(found(s), []);
});

test('nginxVersion: older than 1.18.0 is an error, a release that does not exist or is newer than gwctl knows a warning', () => {
  const at = (v: string) =>
    found(
      spec((s) => {
        s.runtime = { nginxVersion: v };
      }),
    );
  assert.deepEqual(at('1.16.1'), [
    { code: 'runtime.nginx-version-unsupported', severity: 'error', path: 'runtime.nginxVersion' },
  ]);
  assert.deepEqual(at('1.22.2'), [
    { code: 'runtime.nginx-version-unknown', severity: 'warning', path: 'runtime.nginxVersion' },
  ]);
  assert.deepEqual(at('1.31.0'), [
    { code: 'runtime.nginx-version-unknown', severity: 'warning', path: 'runtime.nginxVersion' },
  ]);
  assert.deepEqual(at('2.0.0'), [
    { code: 'runtime.nginx-version-unknown', severity: 'warning', path: 'runtime.nginxVersion' },
  ]);
  for (const known of ['1.18.0', '1.22.1', '1.23.4', '1.27.5', '1.29.3']) assert.deepEqual(at(known), [], known);
  assert.match(
    validateTraffic(spec((s) => (s.runtime = { nginxVersion: '1.22.2' })))[0].message,
    /the 1\.22 branch ended with 1\.22\.1; check the version with `nginx -v`/,
  );
});

test('a connect timeout above 75s is a warning (the kernel gives up first); 75s is not', () => {
  const at = (connect: string) =>
    found(
      spec((s) => {
        s.upstreams!.orders.timeouts = { connect };
      }),
    );
  assert.deepEqual(at('76s'), [
    { code: 'upstream.connect-timeout-long', severity: 'warning', path: 'upstreams.orders.timeouts.connect' },
  ]);
  assert.deepEqual(at('2m'), [
    { code: 'upstream.connect-timeout-long', severity: 'warning', path: 'upstreams.orders.timeouts.connect' },
  ]);
  assert.deepEqual(at('75s'), []);
  assert.deepEqual(at('75000ms'), []);
});

test('retry.tries above 1 on an upstream of one server is a warning: nginx tries each server once', () => {
  const one = spec((s) => {
    s.upstreams!.orders = { servers: ['127.0.0.1:8081'], retry: { tries: 3 } };
  });
  assert.deepEqual(found(one), [
    { code: 'upstream.retry-one-server', severity: 'warning', path: 'upstreams.orders.retry.tries' },
  ]);
  const two = spec((s) => {
    s.upstreams!.orders.retry = { tries: 3 };
  });
  assert.deepEqual(found(two), []);
  const once = spec((s) => {
    s.upstreams!.orders = { servers: ['127.0.0.1:8081'], retry: { tries: 1 } };
  });
  assert.deepEqual(found(once), []);
});

test('stripPath on "/" strips nothing: a warning; sizes beyond 8 PiB are errors', () => {
  assert.deepEqual(
    found(
      spec((s) => {
        s.routes![0] = { path: '/', upstream: 'orders', stripPath: true };
      }),
    ),
    [{ code: 'route.strip-root', severity: 'warning', path: 'routes.0.stripPath' }],
  );
  assert.deepEqual(
    found(
      spec((s) => {
        s.limits = { maxBodySize: '9999999999999g' };
        s.routes![0].maxBodySize = '9999999999m';
      }),
    ),
    [
      { code: 'limits.size-too-large', severity: 'error', path: 'limits.maxBodySize' },
      { code: 'limits.size-too-large', severity: 'error', path: 'routes.0.maxBodySize' },
    ],
  );
});

test('durations and sizes in a form nginx does not read are schema errors that say which forms work', () => {
  const s = spec((x) => {
    x.limits = { maxBodySize: '10MB' };
    x.upstreams!.orders = {
      servers: [{ address: '127.0.0.1:8081', failTimeout: '500ms' }],
      timeouts: { connect: '5', read: '0s', send: '1.5s' },
      retry: { tries: 0, nonIdempotent: 'sometimes' as 'never' },
    };
  });
  const duration = 'must be a duration greater than zero: a number and ms, s, m or h (e.g. 500ms, 5s, 2m)';
  assert.deepEqual(schema(s), [
    {
      code: 'schema.bad-value',
      path: 'limits.maxBodySize',
      message: 'maxBodySize must be a size: bytes, or a number and k, m or g (e.g. 512k, 10m, 2g); 0 = no limit',
    },
    {
      code: 'schema.bad-value',
      path: 'upstreams.orders.servers.0.failTimeout',
      message:
        'failTimeout must be seconds (an integer) or a duration greater than zero: a number and s, m or h (e.g. 30s)',
    },
    { code: 'schema.bad-value', path: 'upstreams.orders.timeouts.connect', message: `connect ${duration}` },
    { code: 'schema.bad-value', path: 'upstreams.orders.timeouts.read', message: `read ${duration}` },
    { code: 'schema.bad-value', path: 'upstreams.orders.timeouts.send', message: `send ${duration}` },
    { code: 'schema.out-of-range', path: 'upstreams.orders.retry.tries', message: 'tries must be at least 1' },
    {
      code: 'schema.bad-value',
      path: 'upstreams.orders.retry.nonIdempotent',
      message: 'nonIdempotent must be one of "never", "unsent", "always"',
    },
  ]);
});

test('an nginxVersion that is not three numbers is a schema error that says which form works and how to find it', () => {
  const message =
    'nginxVersion must be the nginx core version as three numbers, e.g. 1.22.1: `nginx -v` tells (OpenResty: the first three numbers of `openresty -v`)';
  for (const v of ['1.25', 'abc', '1.25.3.1', 'v1.22.1', '1.22.1 ', ''])
    assert.deepEqual(
      schema(spec((s) => (s.runtime = { nginxVersion: v }))),
      [{ code: 'schema.bad-value', path: 'runtime.nginxVersion', message }],
      JSON.stringify(v),
    );
});

test('a duration, size or version of the wrong YAML type gets the forms that work, not only the type', () => {
  const s = spec((x) => {
    x.runtime = { nginxVersion: 1.25 as unknown as string };
    x.limits = { maxBodySize: true as unknown as string };
    x.upstreams!.orders.timeouts = { read: 0 as unknown as string };
  });
  assert.deepEqual(schema(s), [
    {
      code: 'schema.bad-type',
      path: 'runtime.nginxVersion',
      message:
        'nginxVersion must be the nginx core version as three numbers, e.g. 1.22.1: `nginx -v` tells (OpenResty: the first three numbers of `openresty -v`)',
    },
    {
      code: 'schema.bad-type',
      path: 'limits.maxBodySize',
      message: 'maxBodySize must be a size: bytes, or a number and k, m or g (e.g. 512k, 10m, 2g); 0 = no limit',
    },
    {
      code: 'schema.bad-type',
      path: 'upstreams.orders.timeouts.read',
      message: 'read must be a duration greater than zero: a number and ms, s, m or h (e.g. 500ms, 5s, 2m)',
    },
  ]);
});
