import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PemFiles } from '../../src/tls/pem-files.js';
import { makePki } from '../support/pki.js';

let dir: string;
let root: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gwctl-pem-files-'));
  const pki = await makePki(dir);
  root = pki.root('Pem Files Root').cert;
});

test('one file under several names (relative, ./, a symlink) is read and parsed once: every name gets the same blocks', () => {
  const files = new PemFiles();
  symlinkSync(root, join(dir, 'link.pem'));
  const a = files.read(root, 'certificate');
  const b = files.read(join(dir, '.', 'link.pem'), 'certificate');
  assert.ok('blocks' in a && 'blocks' in b);
  assert.equal(a, b, 'the same parsed result, not a second parse');
});

test('the bytes one run reads are bounded: the file that crosses the limit is refused, files already read are not counted again', () => {
  const size = statSync(root).size;
  const files = new PemFiles(size * 2 + 10);
  const copy = (name: string) => {
    const f = join(dir, name);
    writeFileSync(f, readFileSync(root));
    return f;
  };
  const [one, two, three] = [copy('one.pem'), copy('two.pem'), copy('three.pem')];
  for (let i = 0; i < 5; i++) assert.ok('blocks' in files.read(one, 'certificate'), 'a file read again costs nothing');
  assert.ok('blocks' in files.read(two, 'certificate'));
  const r = files.read(three, 'certificate');
  assert.ok('problem' in r);
  assert.equal(r.problem.code, 'file.total-too-large');
  assert.match(r.problem.message, new RegExp(`would take the PEM files this run reads over ${size * 2 + 10} bytes`));
});

test('reading ahead (for the parallel decode) never changes which file takes the run over the budget, nor parses a file twice', () => {
  const size = statSync(root).size;
  const names = ['ahead-one.pem', 'ahead-two.pem', 'ahead-three.pem'].map((name) => {
    const f = join(dir, name);
    writeFileSync(f, readFileSync(root));
    return f;
  });
  const [one, two, three] = names;
  const run = (ahead: string[]) => {
    const files = new PemFiles(size * 2 + 10);
    const early = ahead.map((f) => files.readAhead(f));
    // The loaders' order: three, then one, then two (which no longer fits).
    const read = [three, one, two].map((f) => files.read(f, 'certificate'));
    return { early, read };
  };
  const plain = run([]);
  // Read ahead in another order than the loaders': two and one fit the budget, three does not.
  const ahead = run([two, one, three]);
  assert.deepEqual(
    ahead.read.map((r) => ('problem' in r ? r.problem.code : 'read')),
    ['read', 'read', 'file.total-too-large'],
  );
  assert.deepEqual(ahead.read, plain.read);
  // What was read ahead is the very result the loaders get; what would not fit is left to them.
  assert.equal(ahead.read[1], ahead.early[1]);
  assert.equal(ahead.early[2], undefined);
});
