import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sha256 } from '../../src/output/manifest.js';
import { copyExample } from '../support/example.js';
import { REPO_ROOT, gwctl } from '../support/gwctl.js';

/**
 * Golden renders: what gwctl renders for each example (examples/NAME/gateway.yaml) and for each
 * spec kept under test/golden/NAME/gateway.yaml, compared byte for byte with the files in
 * test/golden/NAME/: nginx.conf, gwctl-manifest.json, tls-files.txt (the files in tls/) and
 * render.txt/verify-chain.txt (what the commands print). A template or model change shows its
 * diff there in review. `GWCTL_UPDATE_GOLDEN=1` (npm run golden:update) rewrites them; see
 * docs/development.md.
 *
 * One substitution keeps them independent of the machine: an example is rendered from a copy
 * (its keys at mode 0600, as its README has them), and the copy's absolute directory, which
 * nginx.conf names for keys given as paths, is written as $SPEC_DIR. The output directory's
 * location must not matter at all: each case is rendered into two directories at different
 * depths, and both renders must be identical before anything is compared.
 */

const GOLDEN = join(REPO_ROOT, 'test/golden');
const UPDATE = process.env.GWCTL_UPDATE_GOLDEN === '1';
/** What DIR holds besides tls/. */
const OUTPUT = ['nginx.conf', 'gwctl-manifest.json'];
/** Fixed, so certificate lifetimes print the same days every year. */
const NOW = new Date('2027-01-01T00:00:00Z');

interface GoldenCase {
  name: string;
  /** The spec directory as it lives in the repository. */
  source: string;
  /** Examples are rendered from a copy (key modes), golden specs in place (their paths reach the example's PKI). */
  copy: boolean;
}

function cases(): GoldenCase[] {
  const examples = readdirSync(join(REPO_ROOT, 'examples'))
    .filter((n) => existsSync(join(REPO_ROOT, 'examples', n, 'gateway.yaml')))
    .map((name) => ({ name, source: join(REPO_ROOT, 'examples', name), copy: true }));
  const specs = readdirSync(GOLDEN)
    .filter((n) => existsSync(join(GOLDEN, n, 'gateway.yaml')))
    .map((name) => ({ name, source: join(GOLDEN, name), copy: false }));
  return [...examples, ...specs];
}

const scratch = mkdtempSync(join(tmpdir(), 'gwctl-golden-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Every file under `dir`, relative, sorted by code point. */
function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(dir, join(prefix, e.name)) : [join(prefix, e.name)]))
    .sort();
}

/**
 * The manifest as written, but for the hash of nginx.conf (which names an example's keys by the
 * copy's absolute path): that is checked against nginx.conf here and written as $NGINX_CONF_SHA256.
 */
function manifestWithoutConfHash(rendered: Map<string, string>): string {
  const text = rendered.get('gwctl-manifest.json') ?? '';
  const hash = sha256(rendered.get('nginx.conf') ?? '');
  assert.equal(JSON.parse(text).nginxConf.sha256, hash, 'the manifest names the hash of nginx.conf');
  return text.replace(hash, '$NGINX_CONF_SHA256');
}

function transcript(r: { exitCode: number; stdout: string; stderr: string }): string {
  return `exit ${r.exitCode}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
}

async function renderCase(c: GoldenCase, where: string): Promise<Map<string, string>> {
  let specDir = c.source;
  if (c.copy) {
    specDir = join(where, 'spec');
    copyExample(specDir, c.source);
  }
  specDir = realpathSync(specDir);
  const out = join(where, 'a', 'b', 'out');
  mkdirSync(join(where, 'a', 'b'), { recursive: true });
  const render = await gwctl(['render', 'gateway.yaml', '--out', out], specDir, NOW);
  assert.equal(render.exitCode, 0, render.stderr);
  const verify = await gwctl(['verify-chain', 'gateway.yaml'], specDir, NOW);
  const machine = (text: string) => text.replaceAll(out, '$OUT').replaceAll(specDir, '$SPEC_DIR');
  const rendered = new Map<string, string>();
  for (const f of listFiles(out).filter((f) => OUTPUT.includes(f) || f.startsWith('tls/')))
    rendered.set(f, readFileSync(join(out, f), 'utf8'));
  const expected = new Map<string, string>([
    ['nginx.conf', machine(rendered.get('nginx.conf') ?? '')],
    ['gwctl-manifest.json', manifestWithoutConfHash(rendered)],
    ['tls-files.txt', `${[...rendered.keys()].filter((f) => f.startsWith('tls/')).join('\n')}\n`],
    ['render.txt', machine(transcript(render))],
    ['verify-chain.txt', machine(transcript(verify))],
  ]);
  return new Map([...expected, ...[...rendered].map(([k, v]) => [`raw:${k}`, v] as [string, string])]);
}

for (const c of cases()) {
  test(`golden render: ${c.name}`, async () => {
    const first = await renderCase(c, mkdtempSync(join(scratch, `${c.name}-`)));
    // A second render, from a directory of another depth: byte-identical output, tls/ included.
    const deeper = mkdtempSync(join(scratch, `${c.name}-`));
    mkdirSync(join(deeper, 'x', 'y'), { recursive: true });
    const second = await renderCase(c, join(deeper, 'x', 'y'));
    const raw = (m: Map<string, string>) => new Map([...m].filter(([k]) => k.startsWith('raw:tls/')));
    assert.deepEqual(raw(second), raw(first), 'the files in tls/ depend on where the output is');
    assert.equal(second.get('gwctl-manifest.json'), first.get('gwctl-manifest.json'), 'the manifest depends on it');
    assert.equal(second.get('nginx.conf'), first.get('nginx.conf'), 'nginx.conf depends on where the output is');

    const dir = join(GOLDEN, c.name);
    for (const [file, content] of first) {
      if (file.startsWith('raw:')) continue;
      const path = join(dir, file);
      if (UPDATE) {
        mkdirSync(dir, { recursive: true });
        writeFileSync(path, content);
        continue;
      }
      assert.ok(existsSync(path), `${path} is missing: run GWCTL_UPDATE_GOLDEN=1 npm test (docs/development.md)`);
      assert.equal(
        content,
        readFileSync(path, 'utf8'),
        `${c.name}/${file} differs from the golden file; if the change is intended, run GWCTL_UPDATE_GOLDEN=1 npm test and commit the diff`,
      );
    }
  });
}

test('every directory under test/golden is a golden case (nothing stale is kept)', () => {
  const names = new Set(cases().map((c) => c.name));
  const dirs = readdirSync(GOLDEN, { withFileTypes: true }).filter((e) => e.isDirectory());
  assert.deepEqual(
    dirs.map((d) => d.name).filter((n) => !names.has(n)),
    [],
  );
  assert.ok(names.has('mtls-upstream') && names.has('every-partial'));
});
