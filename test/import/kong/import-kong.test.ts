import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../support/gwctl.js';
import { makePki, type PkiCert } from '../../support/pki.js';
import { block, importText, NONE } from './support.js';

/**
 * The mapping, on Kong files written from Kong's documented schema (kong/db/schema/entities/*.lua):
 * each test states the exact spec written and the exact findings, with their Kong-file positions.
 */
let root: PkiCert;
let issuing: PkiCert;
let client: PkiCert;

before(async () => {
  const pki = await makePki(mkdtempSync(join(tmpdir(), 'gwctl-kong-')));
  root = pki.root('Kong Test Root');
  issuing = pki.intermediate(root, 'Kong Test Issuing');
  client = pki.leaf(issuing, { cn: 'gateway-client', client: true });
});

const pem = (file: string) => readFileSync(file, 'utf8');

const VERSIONS = ['1.1', '2.1', '3.0'];

for (const version of VERSIONS) {
  describe(`_format_version ${version}`, () => {
    test('services nested and top-level, routes nested and top-level, plain http', () => {
      const r = importText(`_format_version: "${version}"
services:
- name: orders
  host: orders.internal
  port: 8080
  routes:
  - name: orders-api
    paths: [/orders/, /legacy.+]
    strip_path: false
- name: users
  url: http://users.internal
routes:
- name: users-api
  service: users
  hosts: [api.example.com]
  paths: [/users]
  preserve_host: true
`);
      assert.deepEqual(r.spec, {
        version: 1,
        listen: [{ port: 8000 }],
        upstreams: {
          orders: {
            servers: ['orders.internal:8080'],
            hostHeader: 'orders.internal:8080',
            timeouts: { connect: '60s', read: '60s', send: '60s' },
            retry: { tries: 6, nonIdempotent: 'unsent' },
          },
          users: {
            servers: ['users.internal:80'],
            hostHeader: 'users.internal',
            timeouts: { connect: '60s', read: '60s', send: '60s' },
            retry: { tries: 6, nonIdempotent: 'unsent' },
          },
        },
        routes: [
          { path: '/orders/', upstream: 'orders', stripPath: false, preserveHost: false },
          // 3.0 marks regexes with "~": "/legacy.+" is a plain prefix there; 1.1 and 2.1 read it as a regex.
          ...(version === '3.0'
            ? [{ path: '/legacy.+', upstream: 'orders', stripPath: false, preserveHost: false }]
            : []),
          { path: '/users', upstream: 'users', host: 'api.example.com', stripPath: true, preserveHost: true },
        ],
      });
      assert.deepEqual(r.found, version === '3.0' ? [] : ['8:23 warning kong.not-mapped']);
      if (version !== '3.0')
        assert.deepEqual(r.messages, [
          'route "orders-api": path "/legacy.+" is a regex path; gwctl matches path prefixes only; not imported',
        ]);
    });

    test('an https service with verification on, its CA, depth and client certificate', () => {
      const r = importText(`_format_version: "${version}"
ca_certificates:
- id: 2d3b9f0e-6a5c-4c1e-9d7a-000000000001
  cert: ${block(pem(root.cert), 2)}
certificates:
- id: 7f1c2a9e-1b2c-4d5e-8f90-000000000002
  cert: ${block(pem(client.chain), 2)}
  key: ${block(pem(client.key), 2)}
services:
- name: payments
  protocol: https
  host: payments.internal
  port: 8443
  tls_verify: true
  tls_verify_depth: 2
  ca_certificates: [2d3b9f0e-6a5c-4c1e-9d7a-000000000001]
  client_certificate: { id: 7f1c2a9e-1b2c-4d5e-8f90-000000000002 }
  routes:
  - paths: [/pay]
`);
      assert.deepEqual(r.found, []);
      assert.deepEqual(r.spec.trustStores, {
        'kong-ca-2d3b9f0e': { certificates: ['pki/ca-2d3b9f0e-6a5c-4c1e-9d7a-000000000001.pem'] },
      });
      assert.deepEqual(r.spec.clientCertificates, {
        'kong-cert-7f1c2a9e': {
          certificate: 'pki/client-7f1c2a9e-1b2c-4d5e-8f90-000000000002.crt',
          key: 'pki/client-7f1c2a9e-1b2c-4d5e-8f90-000000000002.key',
        },
      });
      assert.deepEqual(r.spec.upstreams.payments, {
        servers: ['payments.internal:8443'],
        hostHeader: 'payments.internal:8443',
        tls: {
          trustStore: 'kong-ca-2d3b9f0e',
          serverName: 'payments.internal',
          verifyDepth: 2,
          clientCertificate: 'kong-cert-7f1c2a9e',
        },
        timeouts: { connect: '60s', read: '60s', send: '60s' },
        retry: { tries: 6, nonIdempotent: 'unsent' },
      });
      const files = r.out!.files;
      assert.equal(files.get('pki/ca-2d3b9f0e-6a5c-4c1e-9d7a-000000000001.pem')?.content, pem(root.cert));
      assert.equal(files.get('pki/client-7f1c2a9e-1b2c-4d5e-8f90-000000000002.key')?.mode, 0o600);
      assert.equal(files.get('pki/client-7f1c2a9e-1b2c-4d5e-8f90-000000000002.crt')?.mode, 0o644);
    });
  });
}

for (const version of VERSIONS)
  describe(`verification (_format_version ${version})`, () => {
    // The CA comes last, so that the lines above it are the same whatever its PEM's length.
    const service = (extra: string) => `_format_version: "${version}"
services:
- name: s
  url: https://s.internal
${extra}ca_certificates:
- id: 00000000-0000-4000-8000-00000000000a
  cert: ${block(pem(root.cert), 2)}
`;

    test('tls_verify: false renders verification off with the reason', () => {
      const r = importText(service('  tls_verify: false\n'));
      assert.deepEqual(r.spec.upstreams.s.tls, {
        serverName: 's.internal',
        verify: false,
        insecureReason: 'Kong service "s" sets tls_verify: false',
      });
      assert.deepEqual(r.found, ['7:3 warning kong.not-mapped']);
      assert.deepEqual(r.messages, [
        'ca_certificate "00000000-0000-4000-8000-00000000000a": no service names it in ca_certificates, so it verifies nothing; not imported',
      ]);
    });

    test("tls_verify unset is Kong's global default, off: rendered off, and said so", () => {
      const r = importText(service('  ca_certificates: [00000000-0000-4000-8000-00000000000a]\n'));
      assert.deepEqual(r.spec.upstreams.s.tls, {
        trustStore: 'kong-ca-00000000',
        serverName: 's.internal',
        verify: false,
        insecureReason:
          'Kong service "s" leaves tls_verify unset, so Kong\'s global proxy_ssl_verify applies, and it is off by default',
      });
      assert.deepEqual(r.found, ['3:3 warning kong.tls-verify-default']);
    });

    test('tls_verify unset with --verify-default on verifies, at the default depth', () => {
      const r = importText(service('  ca_certificates: [00000000-0000-4000-8000-00000000000a]\n'), {
        defaults: { verify: true, verifyDepth: 1 },
      });
      assert.deepEqual(r.spec.upstreams.s.tls, {
        trustStore: 'kong-ca-00000000',
        serverName: 's.internal',
        verifyDepth: 1,
      });
      assert.deepEqual(r.found, []);
    });

    test('tls_verify_depth 1 is kept as Kong sets it, not raised (so two intermediates fail as in Kong: test/commands/import.test.ts)', () => {
      const r = importText(
        service(
          '  tls_verify: true\n  tls_verify_depth: 1\n  ca_certificates: [00000000-0000-4000-8000-00000000000a]\n',
        ),
      );
      assert.deepEqual(r.spec.upstreams.s.tls, {
        trustStore: 'kong-ca-00000000',
        serverName: 's.internal',
        verifyDepth: 1,
      });
      assert.deepEqual(r.found, []);
    });

    test('verification on without ca_certificates is an error at tls_verify, unless --trusted-ca names the CA', () => {
      const r = importText(service('  tls_verify: true\n'));
      assert.deepEqual(r.found, ['5:15 error kong.no-trust-store', '7:3 warning kong.not-mapped']);
      const withCa = importText(service('  tls_verify: true\n'), {
        defaults: { verify: false, verifyDepth: 1, trustedCa: { file: 'ca.pem', pem: pem(root.cert) } },
      });
      assert.deepEqual(withCa.spec.upstreams.s.tls, {
        trustStore: 'kong-default-ca',
        serverName: 's.internal',
        verifyDepth: 1,
      });
      assert.deepEqual(withCa.spec.trustStores, { 'kong-default-ca': { certificates: ['pki/kong-default-ca.pem'] } });
      assert.equal(withCa.out!.files.get('pki/kong-default-ca.pem')?.content, pem(root.cert));
    });

    test('verification on where Kong would check an IP address is an error naming the fix', () => {
      const r = importText(service('  tls_verify: true\n').replace('https://s.internal', 'https://10.1.2.3:8443'));
      assert.deepEqual(r.found, [
        '5:15 error kong.no-trust-store',
        '4:8 error kong.ip-server-name',
        '7:3 warning kong.not-mapped',
      ]);
      assert.match(
        r.messages[1],
        /Kong checks the certificate against "10\.1\.2\.3".*set the upstream's host_header \(or the service's host\)/,
      );
    });

    test('TLS fields on an http service are refused, as Kong refuses them', () => {
      const r = importText(`_format_version: "${version}"
services:
- name: s
  host: s.internal
  tls_verify: true
`);
      assert.deepEqual(r.found, ['5:15 error kong.invalid']);
    });
  });

describe('upstreams and targets', () => {
  test("a service whose host names an upstream uses its targets, weights and host_header; Kong's defaults explicit", () => {
    const r = importText(`_format_version: "2.1"
services:
- name: billing
  host: billing-up
  protocol: https
  tls_verify: false
upstreams:
- name: billing-up
  host_header: billing.internal
  targets:
  - target: 10.0.0.1:8443
    weight: 50
  - target: 10.0.0.2:8443
  - target: 10.0.0.3:8443
    weight: 0
targets:
- target: 10.0.0.4
  upstream: { name: billing-up }
  weight: 150
`);
    assert.deepEqual(r.spec.upstreams.billing, {
      servers: [
        { address: '10.0.0.1:8443', weight: 1 },
        { address: '10.0.0.2:8443', weight: 2 },
        { address: '10.0.0.4:8000', weight: 3 },
      ],
      hostHeader: 'billing.internal:8443',
      tls: {
        serverName: 'billing.internal',
        verify: false,
        insecureReason: 'Kong service "billing" sets tls_verify: false',
      },
      timeouts: { connect: '60s', read: '60s', send: '60s' },
      retry: { tries: 6, nonIdempotent: 'unsent' },
    });
    // weight 0: left out; targets on different ports: Kong's Host differs per target.
    assert.deepEqual(r.found, ['15:13 warning kong.differs', '8:3 warning kong.differs']);
  });

  test('targets with names of their own: Kong checks each against its name, gwctl one name for all, and says so', () => {
    const r = importText(`_format_version: "3.0"
services:
- name: s
  host: pool
  protocol: https
  tls_verify: false
upstreams:
- name: pool
  targets: [{ target: "a.internal:443" }, { target: "b.internal:443" }]
`);
    assert.deepEqual(r.spec.upstreams.s.servers, ['a.internal:443', 'b.internal:443']);
    assert.deepEqual(r.spec.upstreams.s.hostHeader, 'a.internal');
    assert.deepEqual(r.spec.upstreams.s.tls?.serverName, 'a.internal');
    assert.deepEqual(r.found, ['8:3 warning kong.differs']);
    assert.deepEqual(r.messages, [
      'service "s": Kong sends each target its own Host, sends it as SNI and checks the certificate against it (a.internal, b.internal); gwctl sends a.internal to all of them: set host_header on the Kong upstream to the name every certificate carries, or check each server with `gwctl probe`',
    ]);
  });

  test('a top-level target naming no upstream is an error at its reference', () => {
    const r = importText(`_format_version: "3.0"
upstreams:
- name: a
targets:
- target: 10.0.0.1:80
  upstream: b
`);
    assert.deepEqual(r.found, ['6:13 error kong.reference', '3:3 warning kong.not-mapped']);
  });
});

for (const version of VERSIONS)
  describe(`health checks (_format_version ${version})`, () => {
    const kong = (ca: string) => `_format_version: "${version}"
services:
- name: api
  host: api-up
  protocol: https
  tls_verify: true
  ca_certificates: [00000000-0000-4000-8000-00000000000a]
upstreams:
- name: api-up
  host_header: api.internal
  healthchecks:
    active:
      type: https
      http_path: /healthz
      timeout: 2
      https_sni: api.internal
      https_verify_certificate: true
      healthy: { interval: 5, successes: 2 }
      unhealthy: { interval: 5, http_failures: 3, tcp_failures: 3, timeouts: 3 }
  targets:
  - target: 127.0.0.1:9443
ca_certificates:
- id: 00000000-0000-4000-8000-00000000000a
  cert: ${block(ca, 2)}
`;

    test('active https checks with verification map field by field', () => {
      const r = importText(kong(pem(root.cert)));
      assert.deepEqual(r.spec.upstreams.api.healthCheck, {
        path: '/healthz',
        interval: '5s',
        timeout: '2s',
        healthyAfter: 2,
        unhealthyAfter: 3,
        successStatuses: [200, 302],
      });
      assert.deepEqual(r.spec.status, { port: 8100, address: '127.0.0.1' });
      assert.deepEqual(r.spec.upstreams.api.tls, {
        trustStore: 'kong-ca-00000000',
        serverName: 'api.internal',
        verifyDepth: 1,
      });
      assert.deepEqual(r.found, []);
    });

    test('where they differ from gwctl (verification, SNI, intervals, counters) it is said at the field', () => {
      const r = importText(
        kong(pem(root.cert))
          .replace('https_verify_certificate: true', 'https_verify_certificate: false')
          .replace('https_sni: api.internal', 'https_sni: other.internal')
          .replace('healthy: { interval: 5, successes: 2 }', 'healthy: { interval: 10, successes: 0 }')
          .replace('tcp_failures: 3, timeouts: 3', 'tcp_failures: 1, timeouts: 0'),
      );
      assert.deepEqual(r.spec.upstreams.api.healthCheck, {
        path: '/healthz',
        interval: '5s',
        timeout: '2s',
        healthyAfter: 1,
        unhealthyAfter: 1,
        successStatuses: [200, 302],
      });
      assert.deepEqual(r.found, [
        '13:7 warning kong.differs', // intervals 10 and 5: gwctl probes every 5s
        '19:18 warning kong.differs', // http_failures 3 and tcp_failures 1 counted separately
        '18:43 warning kong.differs', // successes 0: Kong never brings a target back
        '17:33 warning kong.differs', // Kong's probes do not verify, traffic does
        '16:18 warning kong.differs', // https_sni other.internal
      ]);
    });

    test('without healthCheck in this gwctl, active checks are listed as not mapped yet', () => {
      const r = importText(kong(pem(root.cert)), { capabilities: NONE });
      assert.equal(r.spec.upstreams.api.healthCheck, undefined);
      assert.equal(r.spec.status, undefined);
      assert.deepEqual(r.found, ['12:5 warning kong.not-mapped']);
      assert.deepEqual(r.messages, [
        'upstream "api-up": active health checks are not mapped yet (this gwctl has no healthCheck); Kong takes failing targets out, this gateway will not',
      ]);
    });
  });

for (const version of VERSIONS)
  describe(`inline PEM (_format_version ${version})`, () => {
    test('CRLF line ends inside the PEM (as an escaped JSON string) are written as LF', () => {
      const crlf = pem(root.cert).replace(/\n/g, '\r\n');
      const r = importText(`{"_format_version": "${version}",
"ca_certificates": [{"id": "00000000-0000-4000-8000-00000000000a", "cert": ${JSON.stringify(crlf)}}],
"services": [{"name": "s", "url": "https://s.internal", "tls_verify": true, "ca_certificates": ["00000000-0000-4000-8000-00000000000a"]}]}`);
      assert.deepEqual(r.found, []);
      const written = r.out!.files.get('pki/ca-00000000-0000-4000-8000-00000000000a.pem')!.content;
      assert.equal(written, pem(root.cert));
      assert.ok(!written.includes('\r'));
    });

    test('a whole file with CRLF line ends reads the same', () => {
      const text = `_format_version: "${version}"
ca_certificates:
- id: 00000000-0000-4000-8000-00000000000a
  cert: ${block(pem(root.cert), 2)}
services:
- name: s
  url: https://s.internal
  tls_verify: true
  ca_certificates: [00000000-0000-4000-8000-00000000000a]
`.replace(/\n/g, '\r\n');
      const r = importText(text);
      assert.deepEqual(r.found, []);
      assert.equal(r.out!.files.get('pki/ca-00000000-0000-4000-8000-00000000000a.pem')!.content, pem(root.cert));
    });

    test('a vault reference or non-PEM text is an error at the field', () => {
      const r = importText(`_format_version: "${version}"
certificates:
- id: 00000000-0000-4000-8000-00000000000c
  cert: "{vault://env/client-cert}"
  key: not a key
services:
- name: s
  url: https://s.internal
  tls_verify: false
  client_certificate: 00000000-0000-4000-8000-00000000000c
`);
      assert.deepEqual(r.found, ['4:9 error kong.vault-reference', '5:8 error kong.bad-pem']);
    });
  });

describe('foreign keys, in both forms decK writes', () => {
  for (const ref of [
    'svc',
    '{ name: svc }',
    '{ id: 6a1d3c2e-0000-4000-8000-000000000001 }',
    '6A1D3C2E-0000-4000-8000-000000000001',
  ]) {
    test(`service: ${ref}`, () => {
      const r = importText(`_format_version: "3.0"
services:
- name: svc
  id: 6a1d3c2e-0000-4000-8000-000000000001
  host: svc.internal
routes:
- paths: [/a]
  service: ${ref}
`);
      assert.deepEqual(r.found, []);
      assert.deepEqual(r.spec.routes, [{ path: '/a', upstream: 'svc', stripPath: true, preserveHost: false }]);
    });
  }

  test('a reference to nothing is an error at the reference', () => {
    const r = importText(`_format_version: "3.0"
services:
- name: svc
  host: svc.internal
routes:
- paths: [/a]
  service: { name: nope }
`);
    assert.deepEqual(r.found, ['7:12 error kong.reference']);
    assert.deepEqual(r.messages, ['service "nope": no service with that name in this file']);
  });
});

describe('service path: basePath, joined as Kong path_handling v0 joins it', () => {
  const basePaths = (r: { upstreams: Record<string, { basePath?: string }> }) =>
    Object.fromEntries(Object.entries(r.upstreams).map(([name, up]) => [name, up.basePath]));

  for (const version of VERSIONS)
    test(`url and path forms, with and without strip_path (format ${version})`, () => {
      const r = importText(`_format_version: "${version}"
services:
- name: by-url
  url: https://api.internal:8443/v1
  tls_verify: false
  routes:
  - { paths: [/a/], strip_path: true }
  - { paths: [/b/], strip_path: false }
- name: by-path
  host: api.internal
  path: /v2/
  routes:
  - paths: [/c]
- name: root
  url: http://api.internal/
  routes:
  - paths: [/d]
- name: escaped
  host: api.internal
  path: /%7Eteam/v%331
`);
      assert.deepEqual(basePaths(r.spec), {
        'by-url': '/v1',
        'by-path': '/v2/',
        root: undefined,
        escaped: '/~team/v31',
      });
      assert.deepEqual(r.spec.routes, [
        { path: '/a/', upstream: 'by-url', stripPath: true, preserveHost: false },
        { path: '/b/', upstream: 'by-url', stripPath: false, preserveHost: false },
        { path: '/c', upstream: 'by-path', stripPath: true, preserveHost: false },
        { path: '/d', upstream: 'root', stripPath: true, preserveHost: false },
      ]);
      assert.deepEqual(r.found, []);
    });

  test('a path gwctl cannot send as written leaves the service and its routes out, at the field', () => {
    const r = importText(`_format_version: "3.0"
services:
- name: reserved
  host: api.internal
  path: /a%2Fb
  routes: [{ paths: [/r] }]
- name: dotted
  url: http://api.internal/v1/../admin
  routes: [{ paths: [/d] }]
- name: kept
  host: api.internal
  path: /ok
  routes: [{ paths: [/k] }]
`);
    assert.deepEqual(r.found, [
      '5:3 warning kong.not-mapped',
      '8:3 warning kong.not-mapped',
      '6:12 warning kong.not-mapped',
      '9:12 warning kong.not-mapped',
    ]);
    assert.deepEqual(r.messages, [
      'service "reserved": the service path "/a%2Fb" must not contain %-escapes: write the characters themselves (only letters, digits and - . _ ~ ! & \' ( ) * + , ; = : @ / are accepted, which need no escaping), so gwctl cannot put it before forwarded paths as Kong does; the service and its routes are not imported',
      'service "dotted": the service path "/v1/../admin" holds an empty, "." or ".." segment; the upstream may resolve it to another path than the one written, so gwctl cannot put it before forwarded paths as Kong does; the service and its routes are not imported',
      'route "services.0.routes.0": its service is not imported, so neither is the route',
      'route "services.1.routes.0": its service is not imported, so neither is the route',
    ]);
    assert.deepEqual(Object.keys(r.spec.upstreams), ['kept']);
    assert.equal(r.spec.upstreams.kept.basePath, '/ok');
  });

  test('a path Kong itself refuses is an error at the field', () => {
    const r = importText(`_format_version: "3.0"
services:
- name: s
  host: api.internal
  path: /a b
- name: t
  host: api.internal
  path: /a%zz
`);
    assert.deepEqual(r.found, ['5:9 error kong.invalid', '8:9 error kong.invalid']);
    assert.deepEqual(r.messages, [
      'service "s": path "/a b" is not a path Kong accepts (it starts with / and holds only letters, digits, . - _ ~ / and %-escapes)',
      'service "t": path "/a%zz" holds a malformed %-escape (Kong refuses it)',
    ]);
  });

  test('path_handling v1 is listed as not mapped where it differs from v0: under a service path', () => {
    const r = importText(`_format_version: "2.1"
services:
- name: based
  host: api.internal
  path: /v1
  routes:
  - { paths: [/orders/], path_handling: v1 }
- name: plain
  host: api.internal
  routes:
  - { paths: [/users/], path_handling: v1 }
`);
    assert.deepEqual(r.found, ['7:26 warning kong.not-mapped']);
    assert.deepEqual(r.messages, [
      'route "services.0.routes.0": path_handling v1 (deprecated, ignored by Kong 3\'s default router) is not mapped: it joins the service path "/v1" and the request path without a slash between them where v0 puts one (service path /v1, route path /orders/, request /orders/x: v1 sends /v1x, v0 /v1/x); gwctl\'s basePath joins as v0 does',
    ]);
    assert.equal(r.spec.upstreams.based.basePath, '/v1');
    assert.equal(r.spec.routes!.length, 2);
  });
});

describe("decK's own test data (test/import/kong/deck: go-database-reconciler, Apache License 2.0)", () => {
  const deck = (name: string) => importText(readFileSync(join(REPO_ROOT, 'test/import/kong/deck', name), 'utf8'));
  const KONG_DEFAULTS = {
    timeouts: { connect: '60s', read: '60s', send: '60s' },
    retry: { tries: 6, nonIdempotent: 'unsent' },
  };
  const route = (path: string, upstream: string) => ({ path, upstream, stripPath: true, preserveHost: false });

  test('1.1: a route naming its service by name', () => {
    const r = deck('route-by-service-name.1.1.yaml');
    assert.deepEqual(r.spec.upstreams, {
      svc1: { servers: ['mockbin.org:80'], hostHeader: 'mockbin.org', ...KONG_DEFAULTS },
    });
    assert.deepEqual(r.spec.routes, [route('/r1', 'svc1')]);
    assert.deepEqual(r.found, []);
  });

  test('3.0: three CA certificates of one service, in its order, one trust store; tls_verify unset is said', () => {
    const r = deck('ca-certs-order.3.0.yaml');
    assert.deepEqual(r.spec.trustStores, {
      'svc-example-cas': {
        certificates: [
          'pki/ca-b824e7c0-d116-4c03-9e27-de05c5d30083.pem',
          'pki/ca-3f994d1e-c70a-4748-b28c-f116453eefb5.pem',
          'pki/ca-4bc05ecd-7895-4abb-967f-9816f3e4a3ba.pem',
        ],
      },
    });
    assert.deepEqual(r.spec.upstreams['svc-example'].tls, {
      trustStore: 'svc-example-cas',
      serverName: 'example.com',
      verify: false,
      insecureReason:
        'Kong service "svc-example" leaves tls_verify unset, so Kong\'s global proxy_ssl_verify applies, and it is off by default',
    });
    assert.deepEqual(r.found, ['4:3 warning kong.tls-verify-default']);
  });

  test('3.0: a full dump; consumers, plugins, methods, an unused upstream and a listener certificate are listed', () => {
    const r = deck('entities-with-tags.3.0.yaml');
    const svc = { servers: ['mockbin.org:80'], hostHeader: 'mockbin.org', ...KONG_DEFAULTS };
    assert.deepEqual(r.spec.upstreams, { svc1: svc, svc2: svc, svc3: svc });
    assert.deepEqual(r.spec.routes, [route('/r1', 'svc1'), route('/r2', 'svc2'), route('/r3', 'svc3')]);
    assert.deepEqual(r.found, [
      '74:1 warning kong.not-mapped', // consumers
      '103:3 warning kong.not-mapped', // plugin prometheus
      '187:5 warning kong.not-mapped', // route r3: methods [GET]
      '209:3 warning kong.not-mapped', // upstream1: no service names it
      '8:3 warning kong.not-mapped', // certificate with snis: Kong's own TLS listener
    ]);
  });
});

describe('what has no equivalent is listed per field, never dropped', () => {
  test('plugins, consumers, methods, headers, snis, regex paths, suffix wildcards, other protocols', () => {
    const r = importText(`_format_version: "3.0"
consumers:
- username: alice
plugins:
- name: cors
services:
- name: web
  host: web.internal
  retries: 5
  plugins:
  - name: rate-limiting
  routes:
  - name: r
    protocols: [https]
    hosts: [example.*, www.example.com]
    paths: ["~/v[0-9]+/", /static/]
    methods: [GET]
    headers: { x-version: ["2"] }
    snis: [www.example.com]
    regex_priority: 5
- name: grpc
  protocol: grpc
  host: grpc.internal
`);
    assert.deepEqual(r.spec.routes, [
      { path: '/static/', upstream: 'web', host: 'www.example.com', stripPath: true, preserveHost: false },
    ]);
    assert.deepEqual(r.found, [
      '2:1 warning kong.not-mapped', // consumers
      '5:3 warning kong.not-mapped', // plugin cors
      '11:5 warning kong.not-mapped', // plugin rate-limiting
      '22:3 warning kong.not-mapped', // protocol grpc
      '17:5 warning kong.not-mapped', // methods
      '18:5 warning kong.not-mapped', // headers
      '19:5 warning kong.not-mapped', // snis
      '20:5 warning kong.not-mapped', // regex_priority
      '14:16 warning kong.differs', // protocols [https]: Kong serves it on 8443 only
      '16:13 warning kong.not-mapped', // the regex path
      '15:13 warning kong.not-mapped', // the suffix wildcard host
    ]);
  });

  test('a host route with a shorter path than an any-host route: Kong and gwctl pick differently, and it is said', () => {
    const r = importText(`_format_version: "3.0"
services:
- name: a
  host: a.internal
  routes:
  - name: by-host
    hosts: [api.example.com]
    paths: [/]
  - name: by-path
    paths: [/orders/]
`);
    assert.deepEqual(r.found, ['6:5 warning kong.differs']);
    assert.deepEqual(r.messages, [
      'route "by-host" (host api.example.com, path /) and route "by-path" (any host, path /orders/): for api.example.com under those longer paths Kong picks route "by-host" (it matches on host and path) while gwctl picks the longer path; add host api.example.com with those paths to route "by-host", in Kong or in the spec, to make them agree',
    ]);
  });
});

describe('errors point at the Kong file', () => {
  test('a missing or unknown _format_version', () => {
    assert.deepEqual(importText('services: []\n').found, ['1:1 error kong.format-version']);
    assert.deepEqual(importText('_format_version: 3.0\n').found, ['1:18 error kong.format-version']);
    assert.deepEqual(importText('_format_version: "4.0"\n').found, ['1:18 error kong.format-version']);
  });

  test("YAML 1.1 booleans, which Kong's YAML reader takes and gwctl's does not, say what to write", () => {
    const r = importText(`_format_version: "3.0"
services:
- name: s
  url: https://s.internal
  tls_verify: yes
`);
    assert.deepEqual(r.found, ['5:15 error kong.invalid']);
    assert.match(
      r.messages[0],
      /tls_verify: expected true or false, not "yes" \(YAML 1\.1 reads "yes" as a boolean, YAML 1\.2 as text: write true\)/,
    );
  });

  test('YAML syntax errors keep the YAML rules of a spec', () => {
    assert.deepEqual(importText('_format_version: "3.0"\nservices: [\n').found, ['3:1 error yaml.syntax']);
  });
});

describe('timeouts, retries and buffering', () => {
  const kong = `_format_version: "3.0"
services:
- name: s
  host: s.internal
  connect_timeout: 1500
  read_timeout: 300000
  retries: 2
  routes:
  - paths: [/upload/]
    request_buffering: false
    response_buffering: false
`;

  test('map to timeouts, retry (tries = retries + 1) and buffering', () => {
    const r = importText(kong);
    assert.deepEqual(r.spec.upstreams.s.timeouts, { connect: '1500ms', read: '300s', send: '60s' });
    assert.deepEqual(r.spec.upstreams.s.retry, { tries: 3, nonIdempotent: 'unsent' });
    assert.deepEqual(r.spec.routes, [
      {
        path: '/upload/',
        upstream: 's',
        stripPath: true,
        preserveHost: false,
        buffering: { request: false, response: false },
      },
    ]);
    assert.deepEqual(r.found, []);
  });

  test('a gwctl without those fields lists each as not mapped yet, and writes none of them', () => {
    const r = importText(kong, { capabilities: NONE });
    assert.deepEqual(r.spec.upstreams.s, { servers: ['s.internal:80'], hostHeader: 's.internal' });
    assert.deepEqual(r.spec.routes, [{ path: '/upload/', upstream: 's', preserveHost: false }]);
    assert.deepEqual(r.found, [
      '5:3 warning kong.not-mapped', // connect_timeout
      '6:3 warning kong.not-mapped', // read_timeout
      '7:3 warning kong.not-mapped', // retries
      '9:5 warning kong.not-mapped', // strip_path unset: Kong strips
      '9:5 warning kong.not-mapped', // buffering
    ]);
  });
});
