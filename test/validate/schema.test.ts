import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpecText, positionDiagnostics } from '../../src/load/load-spec.js';
import { MAX_SCHEMA_DIAGNOSTICS, validateSchema } from '../../src/validate/schema.js';

const base = `version: 1
listen:
  - port: 8080
upstreams:
  orders:
    servers: ["127.0.0.1:8443"]
    tls:
      trustStore: internal
      servrName: orders.internal
routes:
  - path: /orders/
    upstream: orders
`;

function check(text: string) {
  const spec = parseSpecText(text, '/x/gw.yaml');
  return positionDiagnostics(spec, validateSchema(spec.data));
}

test('a misspelt key is an error at its own line, with a suggestion', () => {
  const [d, ...rest] = check(base);
  assert.equal(rest.length, 0);
  assert.equal(d.code, 'schema.unknown-key');
  assert.equal(d.line, 9);
  assert.equal(d.column, 7);
  assert.match(d.message, /did you mean "serverName"/);
});

test('the corrected spec passes the schema', () => {
  assert.deepEqual(check(base.replace('servrName', 'serverName')), []);
});

test('wrong types and out-of-range numbers name the field', () => {
  const ds = check(
    base
      .replace('servrName', 'serverName')
      .replace('port: 8080', 'port: 70000')
      .replace('trustStore: internal', 'trustStore: internal\n      verifyDepth: "two"'),
  );
  const range = ds.find((d) => d.code === 'schema.out-of-range');
  assert.ok(range);
  assert.equal(range.line, 3);
  const type = ds.find((d) => d.code === 'schema.bad-type');
  assert.ok(type);
  assert.match(type.message, /verifyDepth must be an integer/);
  assert.equal(type.line, 9);
});

test('missing required keys name the parent', () => {
  const ds = check('version: 1\n');
  assert.equal(ds.length, 1);
  assert.equal(ds[0].code, 'schema.missing-key');
  assert.match(ds[0].message, /listen/);
});

test('server objects report their own mistakes, not the string alternative', () => {
  const ds = check(
    base
      .replace('servrName', 'serverName')
      .replace('servers: ["127.0.0.1:8443"]', 'servers:\n      - { address: "127.0.0.1:8443", wieght: 2 }'),
  );
  assert.equal(ds.length, 1, JSON.stringify(ds));
  assert.equal(ds[0].code, 'schema.unknown-key');
  assert.match(ds[0].message, /did you mean "weight"/);
});

test('a value neither branch of a union accepts (a list where a server belongs) is an error, never a pass', () => {
  for (const bad of ['[]', '[1]', '42', 'true', 'null']) {
    const ds = check(
      base
        .replace('servrName', 'serverName')
        .replace('servers: ["127.0.0.1:8443"]', `servers: [${bad}, "127.0.0.1:8443"]`),
    );
    assert.equal(ds.length, 1, `${bad}: ${JSON.stringify(ds)}`);
    assert.equal(ds[0].code, 'schema.bad-type');
    assert.match(ds[0].message, /servers\[0\] must be a string or an object/);
    assert.equal(ds[0].line, 6, 'the servers line');
  }
});

test('every schema property has a description (the schema is the reference documentation)', async () => {
  const { SCHEMA } = await import('../../src/validate/schema.js');
  const missing: string[] = [];
  const walk = (node: unknown, path: string) => {
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    if (n.properties) {
      for (const [k, v] of Object.entries(n.properties as Record<string, Record<string, unknown>>)) {
        if (!v.description && !(typeof v.$ref === 'string' && v.$ref.startsWith('#/definitions/') && v.description)) {
          if (!v.description) missing.push(`${path}.${k}`);
        }
        walk(v, `${path}.${k}`);
      }
    }
    for (const key of ['items', 'additionalProperties']) walk(n[key], `${path}[]`);
    for (const alt of (n.oneOf as unknown[] | undefined) ?? []) walk(alt, path);
  };
  walk(SCHEMA, '$');
  assert.deepEqual(missing, []);
});

test('a bad map key is one error at the key itself, with the key escaped', () => {
  const text = 'version: 1\nlisten: [{ port: 80 }]\nupstreams:\n  "or;ders\\u001b[2J":\n    servers: ["127.0.0.1:1"]\n';
  const ds = check(text);
  assert.equal(ds.length, 1, JSON.stringify(ds));
  assert.equal(ds[0].code, 'schema.bad-name');
  assert.deepEqual([ds[0].line, ds[0].column], [4, 3]);
  assert.match(ds[0].message, /^"or;ders\\u001b\[2J" is not a valid name/);
});

test("a union error is reported beside other errors, not only when it is the spec's one problem", () => {
  const ds = check(base.replace('servers: ["127.0.0.1:8443"]', 'servers: [["127.0.0.1:8443"]]'));
  assert.deepEqual(ds.map((d) => d.code).sort(), ['schema.bad-type', 'schema.unknown-key'], JSON.stringify(ds));
  assert.match(ds.find((d) => d.code === 'schema.bad-type')!.message, /servers\[0\] must be a string or an object/);
});

test('contract: version is required and at least one listener; unknown keys are refused in every object of the spec', async () => {
  const noVersion = check(base.replace('version: 1\n', '').replace('servrName', 'serverName'));
  assert.deepEqual(
    noVersion.map((d) => `${d.code} ${d.message}`),
    ['schema.missing-key the spec needs "version"'],
  );
  const noListener = check(
    base.replace('listen:\n  - port: 8080\n', 'listen: []\n').replace('servrName', 'serverName'),
  );
  assert.deepEqual(
    noListener.map((d) => `${d.code} ${d.path.join('.')}`),
    ['schema.bad-length listen'],
  );
  // Every object the schema describes closes its keys (a typo must never pass silently).
  const { SCHEMA } = await import('../../src/validate/schema.js');
  const open: string[] = [];
  const walk = (node: unknown, path: string) => {
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    if (n.properties && n.additionalProperties !== false) open.push(path);
    for (const [k, v] of Object.entries(n)) walk(v, `${path}/${k}`);
  };
  walk(SCHEMA, '#');
  assert.deepEqual(open, []);
});

test('a hostPath that is not absolute says what it must be, at its line', () => {
  const spec = `${base.replace('servrName', 'serverName')}clientCertificates:
  gw:
    certificate: gw.crt
    key: { hostPath: keys/gw.key }
`;
  assert.deepEqual(
    check(spec).map((d) => ({ code: d.code, line: d.line, message: d.message })),
    [
      {
        code: 'schema.bad-value',
        line: 16,
        message:
          'hostPath must be an absolute path: where the file lives on the gateway host, which nginx.conf names as written (e.g. /etc/gateway/keys/client.key)',
      },
    ],
  );
});

test('a spec with thousands of schema errors: the first 50 distinct findings, in order, and nothing more', () => {
  const routes = Array.from({ length: 5000 }, (_, i) => `  - { path: /r${i}/, upstream: u, bogus: 1 }`);
  const spec = parseSpecText(
    [
      'version: 1',
      'listen:',
      '  - { port: 8080 }',
      'upstreams:',
      '  u: { servers: ["127.0.0.1:9000"] }',
      'routes:',
      ...routes,
      '',
    ].join('\n'),
    'spec.yaml',
  );
  const found = validateSchema(spec.data);
  assert.deepEqual(
    found.map((d) => [d.code, d.path.join('.')]),
    Array.from({ length: MAX_SCHEMA_DIAGNOSTICS }, (_, i) => ['schema.unknown-key', `routes.${i}.bogus`]),
  );
});
