import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Log } from 'sarif';
import { formatSarif, sarifLog } from '../../src/format/sarif.js';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { REPO_ROOT } from '../support/gwctl.js';
import { SPEC, addUnusedTrustStore, exampleCopy, misspellServerName, run } from '../cli/fixtures.js';

// The SARIF 2.1.0 JSON schema (OASIS, final "rtm.5" text, draft-04), vendored from the npm
// package @microsoft/jest-sarif 1.0.0-beta.0 (lib/schemas/sarif-2.1.0-rtm.5.json): tests run offline.
const require = createRequire(import.meta.url);
const Ajv04 = (
  require('ajv-draft-04') as {
    default: new (o: object) => { compile(s: object): ((d: unknown) => boolean) & { errors?: unknown } };
  }
).default;
const addFormats = (require('ajv-formats') as { default: (ajv: unknown) => void }).default;
// unicodeRegExp: false — the schema's `language` pattern has a stray `]`, legal only without the u flag.
const ajv = new Ajv04({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'test/format/sarif-2.1.0-rtm.5.json'), 'utf8')) as object;
const validateSarif = ajv.compile(schema);

function assertValidSarif(log: unknown): void {
  assert.ok(validateSarif(log), JSON.stringify(validateSarif.errors, null, 2));
}

const d = (over: Partial<Diagnostic>): Diagnostic => ({
  code: 'schema.unknown-key',
  severity: 'error',
  message: 'm',
  path: ['upstreams', 'orders', 'tls', 'servrName'],
  file: '/ws/gw/gateway.yaml',
  line: 3,
  column: 7,
  ...over,
});

test('the vendored schema can fail: a log without version or runs is rejected', () => {
  assert.equal(validateSarif({ $schema: 'https://json.schemastore.org/sarif-2.1.0.json' }), false);
  const log = sarifLog([d({})], { cwd: '/ws', toolVersion: '1.2.3' }) as unknown as {
    runs: { results: { level: string }[] }[];
  };
  log.runs[0].results[0].level = 'fatal';
  assert.equal(validateSarif(log), false);
});

test('a run with results, rules, relative and absolute locations and no-file diagnostics is valid SARIF 2.1.0', () => {
  const log = sarifLog(
    [
      d({}),
      d({ severity: 'warning', code: 'ref.unused', path: ['trustStores', 'spare'], line: 9, column: 5 }),
      d({
        severity: 'info',
        code: 'nginx.source',
        file: '/elsewhere/out dir/nginx.conf',
        line: 12,
        column: undefined,
        path: [],
      }),
      d({ code: 'render.drift', file: undefined, line: undefined, column: undefined, path: [] }),
      d({ message: 'second one with the same code', line: 20 }),
    ],
    { cwd: '/ws', toolVersion: '1.2.3' },
  );
  assertValidSarif(log);
  const run = log.runs[0];
  assert.equal(log.version, '2.1.0');
  assert.equal(run.tool.driver.name, 'gwctl');
  assert.equal(run.tool.driver.version, '1.2.3');
  assert.deepEqual(
    run.tool.driver.rules!.map((r) => r.id),
    ['schema.unknown-key', 'ref.unused', 'nginx.source', 'render.drift'],
    'one rule per code, in order of appearance',
  );
  assert.deepEqual(
    run.results!.map((r) => [r.ruleId, r.ruleIndex, r.level]),
    [
      ['schema.unknown-key', 0, 'error'],
      ['ref.unused', 1, 'warning'],
      ['nginx.source', 2, 'note'],
      ['render.drift', 3, 'error'],
      ['schema.unknown-key', 0, 'error'],
    ],
  );
  assert.deepEqual(run.originalUriBaseIds, { '%SRCROOT%': { uri: 'file:///ws/' } });
  const [first, , outside, noFile] = run.results!;
  assert.deepEqual(first.locations![0].physicalLocation, {
    artifactLocation: { uri: 'gw/gateway.yaml', uriBaseId: '%SRCROOT%' },
    region: { startLine: 3, startColumn: 7 },
  });
  assert.deepEqual(first.locations![0].logicalLocations, [
    { fullyQualifiedName: '$.upstreams.orders.tls.servrName', kind: 'member' },
  ]);
  assert.deepEqual(outside.locations![0].physicalLocation, {
    artifactLocation: { uri: 'file:///elsewhere/out%20dir/nginx.conf' },
    region: { startLine: 12 },
  });
  assert.equal(noFile.locations, undefined);
});

test('an empty run is valid too (a clean spec)', () => {
  const log = JSON.parse(formatSarif([], { cwd: '/ws', toolVersion: '0.1.0' })) as Log;
  assertValidSarif(log);
  assert.deepEqual(log.runs[0].results, []);
  assert.deepEqual(log.runs[0].tool.driver.rules, []);
});

test('a run gwctl could not finish is valid SARIF too: an invocation that failed, with the error as a notification', () => {
  const log = sarifLog([d({})], { cwd: '/ws', toolVersion: '1.2.3' }, [
    { message: 'missing.yaml: cannot read the spec (ENOENT)', spec: 'missing.yaml' },
    { message: 'bad arguments' },
  ]);
  assertValidSarif(log);
  const invocation = log.runs[0].invocations![0];
  assert.equal(invocation.executionSuccessful, false);
  assert.deepEqual(
    invocation.toolExecutionNotifications!.map((n) => [
      n.level,
      n.message.text,
      n.locations?.[0].physicalLocation?.artifactLocation?.uri,
    ]),
    [
      ['error', 'missing.yaml: cannot read the spec (ENOENT)', 'missing.yaml'],
      ['error', 'bad arguments', undefined],
    ],
  );
  assert.equal(log.runs[0].results!.length, 1, 'the findings of what could be read stay');
  assert.equal(sarifLog([], { cwd: '/ws', toolVersion: '1.2.3' }).runs[0].invocations, undefined);
});

test('every command emits one valid SARIF document on stdout, and exit codes follow the findings', async () => {
  const dir = exampleCopy();
  const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  const clean = await run(['validate', SPEC, '--format', 'sarif'], dir);
  assert.equal(clean.exitCode, 0);
  assert.equal(clean.stderr, '');
  assertValidSarif(JSON.parse(clean.stdout));
  assert.equal((JSON.parse(clean.stdout) as Log).runs[0].tool.driver.version, version);

  const rendered = await run(['render', SPEC, '--out', 'out', '--format', 'sarif'], dir);
  assert.equal(rendered.exitCode, 0, rendered.stderr);
  assertValidSarif(JSON.parse(rendered.stdout));

  const expired = await run(['verify-chain', SPEC, '--at', '2099-01-01T00:00:00Z', '--format', 'sarif'], dir);
  assert.equal(expired.exitCode, 1);
  const chainLog = JSON.parse(expired.stdout) as Log;
  assertValidSarif(chainLog);
  assert.ok(chainLog.runs[0].results!.length > 0);
  assert.ok(chainLog.runs[0].results!.every((r) => r.level === 'error'));
  assert.ok(chainLog.runs[0].results!.some((r) => r.ruleId === 'chain.expired'));
  assert.ok(chainLog.runs[0].tool.driver.rules!.some((r) => r.id === 'chain.expired'));

  const line = misspellServerName(dir);
  addUnusedTrustStore(dir);
  const bad = await run(['validate', SPEC, '--format', 'sarif'], dir);
  assert.equal(bad.exitCode, 1);
  const log = JSON.parse(bad.stdout) as Log;
  assertValidSarif(log);
  const typo = log.runs[0].results!.find((r) => r.ruleId === 'schema.unknown-key')!;
  assert.deepEqual(typo.locations![0].physicalLocation!.artifactLocation, {
    uri: 'gw/gateway.yaml',
    uriBaseId: '%SRCROOT%',
  });
  assert.equal(typo.locations![0].physicalLocation!.region!.startLine, line + 2, 'two lines were added above the typo');
  assert.match(typo.message.text!, /did you mean "serverName"/);
});

test('rule metadata comes from the check registry: summary, help with its docs anchor, default level', () => {
  const log = sarifLog([d({ code: 'tls.verify-off', severity: 'warning' }), d({ code: 'no.such-code' })], {
    cwd: '/ws',
    toolVersion: '1.2.3',
  });
  assertValidSarif(log);
  assert.deepEqual(log.runs[0].tool.driver.rules, [
    {
      id: 'tls.verify-off',
      name: 'TlsVerifyOff',
      shortDescription: { text: 'Certificate verification is off for an upstream' },
      help: {
        text: 'Reported on every run while `verify: false` stands, with its insecureReason. Give the upstream a trust store and serverName to turn verification back on. (docs/diagnostics.md#tls-verify-off)',
      },
      defaultConfiguration: { level: 'warning' },
      properties: { tags: ['gwctl', 'tls'] },
    },
    {
      id: 'no.such-code',
      name: 'NoSuchCode',
      shortDescription: { text: 'gwctl no check' },
      defaultConfiguration: { level: 'error' },
      properties: { tags: ['gwctl', 'no'] },
    },
  ]);
});
