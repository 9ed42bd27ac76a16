import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FatalError } from '../../src/diagnostics/diagnostic.js';
import { GENERATED_MARKER, diffOutput, writeOutput } from '../../src/render/write-output.js';
import type { OutputFile } from '../../src/plan/render-model.js';
import { snapshot, snapshotDiff } from '../security/support.js';

function output(tag: string, names: string[]): OutputFile[] {
  return [
    { path: 'nginx.conf', content: `${GENERATED_MARKER} (${tag})\n${names.map((n) => `# uses tls/${n}\n`).join('')}` },
    ...names.map((n) => ({ path: `tls/${n}`, content: `${tag} ${n}\n` })),
  ];
}

function fresh(): { parent: string; out: string } {
  const parent = mkdtempSync(join(tmpdir(), 'gwctl-write-'));
  return { parent, out: join(parent, 'out') };
}

test('first render creates DIR in one rename; the next swaps nginx.conf and removes stale files', () => {
  const { parent, out } = fresh();
  assert.deepEqual(writeOutput(out, output('a', ['a1-f55ff16f66f4.pem', 'a2-2c3a4249d770.pem'])).changed, ['nginx.conf', 'tls/a1-f55ff16f66f4.pem', 'tls/a2-2c3a4249d770.pem']);
  assert.ok(existsSync(join(out, 'logs')) && existsSync(join(out, 'temp')));
  const r = writeOutput(out, output('b', ['b1-7dc96f776c84.pem']));
  assert.deepEqual(r.changed, ['tls/b1-7dc96f776c84.pem', 'tls/a1-f55ff16f66f4.pem', 'tls/a2-2c3a4249d770.pem', 'nginx.conf']);
  assert.deepEqual(readdirSync(join(out, 'tls')), ['b1-7dc96f776c84.pem']);
  assert.deepEqual(diffOutput(out, output('b', ['b1-7dc96f776c84.pem'])), []);
  assert.deepEqual(readdirSync(parent).sort(), ['out'], 'no staging directory or lock left beside DIR');
  assert.deepEqual(writeOutput(out, output('b', ['b1-7dc96f776c84.pem'])).changed, [], 'an unchanged render changes nothing');
});

test('a failure in the middle of the swap rolls back: DIR is exactly as it was', () => {
  const { parent, out } = fresh();
  writeOutput(out, output('old', ['o1-2352da7280f1.pem', 'shared-a4d26868017c.pem']));
  // A tampered content-addressed file the new render replaces, then a directory in the way of
  // the last new file: the render fails after it has already placed files.
  writeFileSync(join(out, 'tls/shared-a4d26868017c.pem'), 'tampered\n');
  mkdirSync(join(out, 'tls/z9-91154e3dc6d4.pem/in-the-way'), { recursive: true });
  writeFileSync(join(out, 'logs/error.log'), 'user log\n');
  const before = snapshot(parent);
  assert.throws(() => writeOutput(out, output('new', ['n1-676b8bb84ce7.pem', 'n2-0480a93d2e9b.pem', 'shared-a4d26868017c.pem', 'z9-91154e3dc6d4.pem'])), (e: unknown) => {
    assert.ok(e instanceof FatalError);
    assert.match(e.message, /cannot write the output .*the previous output is unchanged/);
    return true;
  });
  assert.deepEqual(snapshotDiff(before, snapshot(parent)), []);
});

test('DIR that is not gwctl\'s is refused before anything is written', () => {
  const { parent, out } = fresh();
  mkdirSync(out);
  writeFileSync(join(out, 'nginx.conf'), 'events {}\n');
  const before = snapshot(parent);
  assert.throws(() => writeOutput(out, output('a', ['a-ca978112ca1b.pem'])), /not written by gwctl/);
  assert.deepEqual(snapshotDiff(before, snapshot(parent)), []);

  const other = fresh();
  mkdirSync(join(other.out, 'nginx.conf'), { recursive: true });
  assert.throws(() => writeOutput(other.out, output('a', ['a-ca978112ca1b.pem'])), /is not a file/);
  writeFileSync(join(other.parent, 'file'), 'x');
  assert.throws(() => writeOutput(join(other.parent, 'file'), output('a', ['a-ca978112ca1b.pem'])), /not a directory/);
  assert.throws(() => writeOutput(join(other.parent, 'missing/out'), output('a', ['a-ca978112ca1b.pem'])), /parent directory of --out does not exist/);
});

test('a lock left by a dead gwctl, or by a pid now used by another process, is broken', () => {
  for (const content of ['999999999 - deadbeef\n', `1 1 deadbeef\n`, '', 'garbage']) {
    const { parent, out } = fresh();
    writeFileSync(join(parent, '.out.gwctl-lock'), content);
    mkdirSync(join(parent, '.out.gwctl-staging-abandoned/tls'), { recursive: true });
    // What a render killed while taking or breaking the lock leaves: its candidate, a lock set aside.
    writeFileSync(join(parent, '.out.gwctl-lock.0123456789abcdef'), content);
    writeFileSync(join(parent, '.out.gwctl-lock.stale-0123456789ab'), content);
    writeOutput(out, output('a', ['a-ca978112ca1b.pem']));
    assert.deepEqual(readdirSync(parent), ['out'], `lock ${JSON.stringify(content)} was broken, and the abandoned staging and lock files removed`);
  }
});

test('a lock candidate of a live contender is left for it to retry', () => {
  const { parent, out } = fresh();
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const started = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  writeFileSync(join(parent, '.out.gwctl-lock.0123456789abcdef'), `${process.pid} ${started} 0123456789abcdef\n`);
  writeOutput(out, output('a', ['a-ca978112ca1b.pem']));
  assert.deepEqual(readdirSync(parent).sort(), ['.out.gwctl-lock.0123456789abcdef', 'out']);
});

test('a live lock holder makes the render wait, and it fails cleanly when the holder never lets go', () => {
  const { parent, out } = fresh();
  // Our own pid and start time: a live holder.
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const started = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  writeFileSync(join(parent, '.out.gwctl-lock'), `${process.pid} ${started} someone-else\n`);
  const t0 = Date.now();
  assert.throws(() => writeOutput(out, output('a', ['a-ca978112ca1b.pem']), { lockWaitMs: 500 }), /being rendered by another gwctl/);
  assert.ok(Date.now() - t0 >= 500, 'it waited for the holder');
  assert.ok(!existsSync(out));
  assert.equal(readFileSync(join(parent, '.out.gwctl-lock'), 'utf8'), `${process.pid} ${started} someone-else\n`, 'the live lock is left alone');
});
