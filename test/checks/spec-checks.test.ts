import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecks } from '../../src/checks/index.js';
import type { GatewaySpec } from '../../src/load/spec-types.js';

/** The checks of the spec alone (src/checks/), as checkSpec runs them before any file is read. */
const validateReferences = (s: GatewaySpec) => runChecks('spec', { spec: s, specDir: '/nonexistent' });

function spec(patch: (s: GatewaySpec) => void = () => {}): GatewaySpec {
  const s: GatewaySpec = {
    version: 1,
    listen: [{ port: 8080 }],
    trustStores: { internal: { certificates: ['root.crt'] } },
    upstreams: {
      orders: { servers: ['127.0.0.1:8443'], tls: { trustStore: 'internal', serverName: 'orders.internal' } },
    },
    routes: [{ path: '/orders/', upstream: 'orders' }],
  };
  patch(s);
  return s;
}
const codes = (s: GatewaySpec) => validateReferences(s).map((d) => `${d.code} ${d.path.join('.')}`);

test('a consistent spec has no findings', () => {
  assert.deepEqual(codes(spec()), []);
});

test('unknown references are errors at the referencing field, with a suggestion', () => {
  const ds = validateReferences(
    spec((s) => {
      s.routes![0].upstream = 'order';
    }),
  );
  const d = ds.find((x) => x.code === 'ref.unknown');
  assert.ok(d);
  assert.deepEqual(d.path, ['routes', 0, 'upstream']);
  assert.match(d.message, /did you mean "orders"/);
  assert.ok(
    codes(
      spec((s) => {
        s.upstreams!.orders.tls!.trustStore = 'nope';
      }),
    ).includes('ref.unknown upstreams.orders.tls.trustStore'),
  );
  assert.ok(
    codes(
      spec((s) => {
        s.upstreams!.orders.tls!.clientCertificate = 'gw';
      }),
    ).includes('ref.unknown upstreams.orders.tls.clientCertificate'),
  );
});

test('an IP address as serverName is an error that explains nginx', () => {
  const d = validateReferences(
    spec((s) => {
      s.upstreams!.orders.tls!.serverName = '10.0.0.12';
    }),
  ).find((x) => x.code === 'tls.ip-server-name');
  assert.ok(d);
  assert.match(d.message, /never matches/);
  assert.ok(
    codes(
      spec((s) => {
        s.upstreams!.orders.tls!.serverName = '::1';
      }),
    ).includes('tls.ip-server-name upstreams.orders.tls.serverName'),
  );
});

test('verify: false needs a reason, and is reported every run when it has one', () => {
  assert.ok(
    codes(
      spec((s) => {
        s.upstreams!.orders.tls = { verify: false };
      }),
    ).includes('tls.insecure-without-reason upstreams.orders.tls.verify'),
  );
  const ok = validateReferences(
    spec((s) => {
      s.upstreams!.orders.tls = { verify: false, insecureReason: 'legacy box' };
    }),
  );
  assert.deepEqual(
    ok.map((d) => `${d.severity} ${d.code}`),
    ['warning tls.verify-off', 'warning ref.unused'],
  );
});

test('verification on requires a trust store and a server name', () => {
  assert.ok(
    codes(
      spec((s) => {
        delete s.upstreams!.orders.tls!.trustStore;
      }),
    ).includes('tls.trust-store-required upstreams.orders.tls'),
  );
  assert.ok(
    codes(
      spec((s) => {
        delete s.upstreams!.orders.tls!.serverName;
      }),
    ).includes('tls.server-name-required upstreams.orders.tls'),
  );
});

test('malformed addresses, hosts and paths are refused', () => {
  assert.ok(
    codes(
      spec((s) => {
        s.upstreams!.orders.servers = ['orders;evil:80'];
      }),
    ).includes('upstream.bad-server upstreams.orders.servers.0'),
  );
  assert.ok(
    codes(
      spec((s) => {
        s.upstreams!.orders.servers = ['127.0.0.1:0'];
      }),
    ).includes('upstream.bad-server upstreams.orders.servers.0'),
  );
  assert.deepEqual(
    codes(
      spec((s) => {
        s.upstreams!.orders.servers = ['[::1]:8443', 'orders-1.internal:443'];
      }),
    ),
    [],
  );
  assert.ok(
    codes(
      spec((s) => {
        s.routes![0].path = 'orders';
      }),
    ).includes('route.bad-path routes.0.path'),
  );
  assert.ok(
    codes(
      spec((s) => {
        s.routes![0].path = '/a\nb';
      }),
    ).includes('route.bad-path routes.0.path'),
  );
  assert.ok(
    codes(
      spec((s) => {
        s.routes![0].host = 'a b';
      }),
    ).includes('route.bad-host routes.0.host'),
  );
});

test('duplicate routes and listeners are errors', () => {
  assert.ok(
    codes(
      spec((s) => {
        s.routes!.push({ path: '/orders/', upstream: 'orders' });
      }),
    ).includes('route.duplicate routes.1.path'),
  );
  assert.deepEqual(
    codes(
      spec((s) => {
        s.routes!.push({ path: '/orders/', upstream: 'orders', host: 'a.example.com' });
      }),
    ),
    [],
  );
  assert.ok(
    codes(
      spec((s) => {
        s.listen.push({ port: 8080 });
      }),
    ).includes('listen.duplicate listen.1.port'),
  );
});

test('upstream names that differ only in case are refused (nginx compares them case-insensitively)', () => {
  assert.ok(
    codes(
      spec((s) => {
        s.upstreams!.Orders = { servers: ['127.0.0.1:1'] };
        s.routes!.push({ path: '/o', upstream: 'Orders' });
      }),
    ).includes('upstream.case-collision upstreams.Orders'),
  );
});

test('insecureReason must be one line of plain text: it becomes a comment in nginx.conf and a line in every report', () => {
  for (const bad of ['a\nproxy_pass http://evil;', 'a\u0000b', 'a\rb', 'a\u001b[2Jb', 'a\u202eb', 'a\u2028b']) {
    const ds = validateReferences(
      spec((s) => {
        s.upstreams!.orders.tls = { verify: false, insecureReason: bad };
      }),
    );
    assert.deepEqual(
      ds.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.path.join('.')}`),
      ['tls.bad-insecure-reason upstreams.orders.tls.insecureReason'],
      JSON.stringify(bad),
    );
    assert.ok(!ds.some((d) => d.code === 'tls.verify-off'), 'the raw reason is not echoed in a warning');
    for (const d of ds) assert.doesNotMatch(d.message, /[\u0000-\u001f\u202e\u2028]/);
  }
  assert.deepEqual(
    codes(
      spec((s) => {
        s.upstreams!.orders.tls = { verify: false, insecureReason: 'legacy; {box} "x" $y #z' };
      }),
    ),
    ['tls.verify-off upstreams.orders.tls.verify', 'ref.unused trustStores.internal'],
  );
});

test('paths nginx.conf names must survive quoting: no NUL, control characters or "$"', () => {
  const withClient = (key: string, passwordFile?: string) =>
    spec((s) => {
      s.clientCertificates = { gw: { certificate: 'c.crt', key, passwordFile } };
      s.upstreams!.orders.tls!.clientCertificate = 'gw';
    });
  assert.deepEqual(codes(withClient('keys/a b;{c}"d".key')), []);
  assert.ok(codes(withClient('keys/$HOME.key')).includes('path.unrenderable clientCertificates.gw.key'));
  assert.ok(codes(withClient('keys/a\nb.key')).includes('path.unrenderable clientCertificates.gw.key'));
  assert.ok(codes(withClient('keys/a\u0000b.key')).includes('path.bad clientCertificates.gw.key'));
  assert.ok(codes(withClient('k.key', 'pass$word')).includes('path.unrenderable clientCertificates.gw.passwordFile'));
  assert.ok(
    codes(
      spec((s) => {
        s.listen[0].tls = { certificate: 'c.crt', key: '$k' };
      }),
    ).includes('path.unrenderable listen.0.tls.key'),
  );
  assert.ok(
    codes(
      spec((s) => {
        s.runtime = { modulesPath: '/usr/lib/$x' };
      }),
    ).includes('path.unrenderable runtime.modulesPath'),
  );
  // Certificates are re-encoded into tls/, never named: "$" is fine there, NUL is not.
  assert.deepEqual(
    codes(
      spec((s) => {
        s.trustStores!.internal.certificates = ['ca$1.crt'];
      }),
    ),
    [],
  );
  assert.ok(
    codes(
      spec((s) => {
        s.trustStores!.internal.certificates = ['ca\u0000.crt'];
      }),
    ).includes('path.bad trustStores.internal.certificates.0'),
  );
});

test('settings nginx itself would refuse at start are errors here: a cipher list that selects nothing, only backup servers', () => {
  assert.deepEqual(
    codes(
      spec((s) => {
        s.upstreams!.orders.tls!.ciphers = 'HIGH:!aNULL';
      }),
    ),
    [],
  );
  assert.deepEqual(
    codes(
      spec((s) => {
        s.upstreams!.orders.tls!.ciphers = 'HIGH:nonsense';
      }),
    ),
    [],
    'OpenSSL ignores unknown names when something else matches',
  );
  for (const bad of ['nonsense', '!ALL', '@STRENGTH'])
    assert.ok(
      codes(
        spec((s) => {
          s.upstreams!.orders.tls!.ciphers = bad;
        }),
      ).includes('tls.bad-ciphers upstreams.orders.tls.ciphers'),
      bad,
    );
  assert.ok(
    codes(
      spec((s) => {
        s.upstreams!.orders.servers = [{ address: '127.0.0.1:1', backup: true }];
      }),
    ).includes('upstream.only-backup upstreams.orders.servers'),
  );
  assert.deepEqual(
    codes(
      spec((s) => {
        s.upstreams!.orders.servers = ['127.0.0.1:2', { address: '127.0.0.1:1', backup: true }];
      }),
    ),
    [],
  );
});

test('values echoed in messages are escaped and shortened', () => {
  const ds = validateReferences(
    spec((s) => {
      s.upstreams!.orders.tls!.serverName = `evil\n1:1  error  fake\u001b[2J${'x'.repeat(5000)}`;
    }),
  );
  const d = ds.find((x) => x.code === 'tls.bad-server-name')!;
  assert.doesNotMatch(d.message, /[\u0000-\u001f]/);
  assert.match(d.message, /"evil\\n1:1  error  fake\\u001b\[2Jx+"… \(5025 characters\)/);
  assert.ok(d.message.length < 300);
});

test('TLS versions below 1.2: an error when nothing else is allowed, a warning beside modern ones', () => {
  assert.ok(
    codes(
      spec((s) => {
        s.upstreams!.orders.tls!.protocols = ['TLSv1', 'TLSv1.1'];
      }),
    ).includes('tls.protocols-unusable upstreams.orders.tls.protocols'),
  );
  const mixed = validateReferences(
    spec((s) => {
      s.upstreams!.orders.tls!.protocols = ['TLSv1.1', 'TLSv1.2'];
    }),
  );
  assert.deepEqual(
    mixed.map((d) => `${d.severity} ${d.code}`),
    ['warning tls.protocols-legacy'],
  );
  assert.deepEqual(
    codes(
      spec((s) => {
        s.upstreams!.orders.tls!.protocols = ['TLSv1.2', 'TLSv1.3'];
      }),
    ),
    [],
  );
});

test('"unix" in any letter case as a host nginx parses as an address (listen address, server string, server object): refused, with why', () => {
  // All 16 spellings: nginx's ngx_parse_url compares "unix:" case-insensitively.
  const variants = Array.from({ length: 16 }, (_, bits) =>
    [...'unix'].map((c, i) => (bits & (1 << i) ? c.toUpperCase() : c)).join(''),
  );
  for (const v of variants) {
    const ds = validateReferences(
      spec((s) => {
        s.listen = [{ port: 8080, address: v }];
        s.upstreams!.orders.servers = [`${v}:8443`, { address: `${v}:8444` }];
      }),
    );
    assert.deepEqual(
      ds.map((d) => `${d.code} ${d.path.join('.')}`),
      [
        'listen.bad-address listen.0.address',
        'upstream.bad-server upstreams.orders.servers.0',
        'upstream.bad-server upstreams.orders.servers.1.address',
      ],
      v,
    );
    for (const d of ds) assert.match(d.message, /unix-domain socket path/, v);
  }
  // Names that merely contain "unix" are hosts like any other.
  assert.deepEqual(
    codes(
      spec((s) => {
        s.listen = [{ port: 8080, address: 'unix.internal' }];
        s.upstreams!.orders.servers = ['unixes:8443', 'my-unix:8443'];
      }),
    ),
    [],
  );
});
