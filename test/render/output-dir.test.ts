import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GENERATED_MARKER } from '../../src/output/layout.js';
import { assessOutDir, realOutDir } from '../../src/render/output-dir.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'gwctl-outdir-'));

test('realOutDir follows a symlinked DIR, or the parent of a DIR yet to be made', () => {
  const d = fresh();
  mkdirSync(join(d, 'deploy/releases/r1'), { recursive: true });
  symlinkSync('deploy/releases/r1', join(d, 'current'));
  symlinkSync('deploy', join(d, 'via'));
  assert.equal(realOutDir(join(d, 'current')), join(d, 'deploy/releases/r1'));
  assert.equal(realOutDir(join(d, 'via/releases/r2')), join(d, 'deploy/releases/r2'));
  symlinkSync('deploy/releases/r3', join(d, 'next'));
  assert.throws(() => realOutDir(join(d, 'next')), /next is a symlink to deploy\/releases\/r3, which does not exist/);
  assert.throws(() => realOutDir(join(d, 'missing/out')), /parent directory of --out does not exist/);
});

test("assessOutDir: missing, empty and gwctl's own are renderable; anything else is refused with the reason", () => {
  const d = fresh();
  assert.equal(assessOutDir(join(d, 'new')), 'missing');
  mkdirSync(join(d, 'empty/logs'), { recursive: true });
  assert.equal(assessOutDir(join(d, 'empty')), 'empty');
  mkdirSync(join(d, 'own'));
  writeFileSync(join(d, 'own/nginx.conf'), `${GENERATED_MARKER} from x.yaml\n`);
  writeFileSync(join(d, 'own/notes.txt'), 'kept\n');
  assert.equal(assessOutDir(join(d, 'own')), 'gwctl');

  mkdirSync(join(d, 'home/projects'), { recursive: true });
  assert.throws(() => assessOutDir(join(d, 'home')), /home is not empty and holds no nginx\.conf written by gwctl/);
  assert.throws(() => assessOutDir('/'), /^FatalError: \/ is not empty/);
  mkdirSync(join(d, 'foreign'));
  writeFileSync(join(d, 'foreign/nginx.conf'), 'events {}\n');
  assert.throws(() => assessOutDir(join(d, 'foreign')), /nginx\.conf was not written by gwctl/);
});

test('assessOutDir: tls/ holding only gwctl-named files is a render in progress only while a staging directory exists', () => {
  const d = fresh();
  mkdirSync(join(d, 'out/tls'), { recursive: true });
  writeFileSync(join(d, 'out/tls/trust-a-0123456789ab.pem'), 'x');
  assert.throws(() => assessOutDir(join(d, 'out')), /is not empty/);
  mkdirSync(join(d, '.out.gwctl-staging-0123456789ab'));
  assert.equal(assessOutDir(join(d, 'out')), 'interrupted');
  writeFileSync(join(d, 'out/tls/mine.pem'), 'x');
  assert.throws(() => assessOutDir(join(d, 'out')), /is not empty/);
});

test("assessOutDir: a symlink or a file where gwctl's directories go is refused", () => {
  for (const sub of ['tls', 'logs', 'temp']) {
    const d = fresh();
    mkdirSync(join(d, 'out'));
    mkdirSync(join(d, 'elsewhere'));
    symlinkSync('../elsewhere', join(d, 'out', sub));
    assert.throws(() => assessOutDir(join(d, 'out')), new RegExp(`out/${sub} is a symlink \\(to \\.\\./elsewhere\\)`));
    const f = fresh();
    mkdirSync(join(f, 'out'));
    writeFileSync(join(f, 'out', sub), '');
    assert.throws(() => assessOutDir(join(f, 'out')), new RegExp(`out/${sub} is not a directory`));
  }
});
