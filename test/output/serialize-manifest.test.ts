import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serializeManifest, type RenderManifest } from '../../src/output/manifest.js';

/**
 * The manifest's bytes: two-space JSON, each array of scalars on one line. Laid out through
 * placeholders, or, for text holding a NUL (which could look like one), by finding such arrays
 * in JSON.stringify's output: both must give the same layout.
 */
const manifest = (why: string) =>
  ({
    manifest: 'gwctl render manifest',
    version: 1,
    spec: 'gateway.yaml',
    nginxConf: { sha256: 'ab', lines: 3 },
    files: [{ path: 'tls/a.pem', sha256: 'cd', why, from: [['trustStores', 'x', 'certificates', 0], []] }],
    sources: [{ lines: [1, 2], kind: 'route', from: [['routes', 0]] }],
  }) as RenderManifest;

const expected = (why: string) => `{
  "manifest": "gwctl render manifest",
  "version": 1,
  "spec": "gateway.yaml",
  "nginxConf": {
    "sha256": "ab",
    "lines": 3
  },
  "files": [
    {
      "path": "tls/a.pem",
      "sha256": "cd",
      "why": ${JSON.stringify(why)},
      "from": [
        ["trustStores","x","certificates",0],
        []
      ]
    }
  ],
  "sources": [
    {
      "lines": [1,2],
      "kind": "route",
      "from": [
        ["routes",0]
      ]
    }
  ]
}
`;

test('the manifest layout, and the same layout for text that looks like a placeholder', () => {
  for (const why of ['trust store "x"', '\u00000\u0000', 'a [\n] "b",\n c'])
    assert.equal(serializeManifest(manifest(why)), expected(why), JSON.stringify(why));
});
