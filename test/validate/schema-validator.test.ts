import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSpecText } from '../../src/load/load-spec.js';
import { SCHEMA } from '../../src/validate/schema.js';
import {
  PRECOMPILED_FILE,
  compileValidator,
  loadPrecompiled,
  schemaDigest,
  standaloneSource,
} from '../../src/validate/schema-validator.js';

const BUILT = fileURLToPath(new URL(`../../src/validate/${PRECOMPILED_FILE}`, import.meta.url));

const good = `version: 1
listen:
  - port: 8080
trustStores:
  internal: { certificates: [ca.pem] }
upstreams:
  orders:
    servers: ["127.0.0.1:8443"]
    tls: { trustStore: internal, serverName: orders.internal, verifyDepth: 2 }
routes:
  - { path: /orders/, upstream: orders }
`;
const documents = [
  good,
  good.replace('serverName', 'servrName'),
  good.replace('port: 8080', 'port: 70000').replace('verifyDepth: 2', 'verifyDepth: "two"'),
  good.replace('version: 1', 'version: 2'),
  good.replace('routes:', 'extra: true\nroutes:'),
  'version: 1\n',
  '[]\n',
].map((t) => parseSpecText(t, '/x/gw.yaml').data);

// The standalone code requires ajv's runtime helpers, so it has to live where node_modules resolves.
const scratchDirs: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(fileURLToPath(new URL('./ajv-standalone-', import.meta.url)));
  scratchDirs.push(dir);
  return dir;
};
after(() => {
  for (const d of scratchDirs) rmSync(d, { recursive: true, force: true });
});

function standaloneIn(dir: string, schema: object): string {
  const file = join(dir, 'v.cjs');
  writeFileSync(file, standaloneSource(schema));
  return file;
}

test('the standalone validator reports exactly what the run-time compiled one does', () => {
  const file = standaloneIn(scratch(), SCHEMA);
  const pre = loadPrecompiled(SCHEMA, file);
  assert.ok(pre, 'loads when built from this schema');
  const runtime = compileValidator(SCHEMA);
  for (const doc of documents) {
    const a: boolean = pre(doc) as boolean;
    const b: boolean = runtime(doc) as boolean;
    assert.equal(a, b);
    assert.deepEqual(
      JSON.parse(JSON.stringify(pre.errors ?? null)),
      JSON.parse(JSON.stringify(runtime.errors ?? null)),
    );
  }
  assert.equal(documents.filter((d) => !runtime(d)).length, documents.length - 1, 'only the first document is valid');
});

test('a standalone validator built from another schema is not used', () => {
  const other = { ...SCHEMA, description: 'changed' };
  const file = standaloneIn(scratch(), other);
  assert.equal(loadPrecompiled(SCHEMA, file), undefined);
  assert.ok(loadPrecompiled(other, file));
  assert.equal(loadPrecompiled(SCHEMA, join(tmpdir(), 'no-such-validator.cjs')), undefined);
});

test("the build's precompiled validator matches schemas/gateway.schema.json", {
  skip: !existsSync(BUILT) && 'built with plain tsc: no precompiled validator',
}, () => {
  assert.ok(loadPrecompiled(SCHEMA, BUILT), `${BUILT} is stale: run npm run build (digest ${schemaDigest(SCHEMA)})`);
});
