import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FatalError } from '../../src/diagnostics/diagnostic.js';
import { GENERATED_MARKER, diffOutput, writeOutput } from '../../src/render/write-output.js';
import { outputFilePath } from '../../src/plan/pem-out.js';
import type { OutputFile } from '../../src/plan/render-model.js';
import { snapshot, snapshotDiff } from '../security/support.js';

/** A rendering whose nginx.conf refers to one content-addressed file per prefix, as gwctl's does. */
function output(tag: string, prefixes: string[]): OutputFile[] {
  const files = prefixes.map((p) => {
    const content = `${tag} ${p}\n`;
    return { path: outputFilePath(p, content), content };
  });
  return [
    {
      path: 'nginx.conf',
      content: `${GENERATED_MARKER} (${tag})\n${files.map((f) => `proxy_ssl_trusted_certificate "${f.path}";\n`).join('')}`,
    },
    ...files,
  ];
}

const paths = (files: OutputFile[]) => files.filter((f) => f.path !== 'nginx.conf').map((f) => f.path);

function fresh(): { parent: string; out: string } {
  const parent = mkdtempSync(join(tmpdir(), 'gwctl-write-'));
  return { parent, out: join(parent, 'out') };
}

test('first render creates DIR in one rename; the next swaps nginx.conf and removes the files only the old one used', async () => {
  const { parent, out } = fresh();
  const a = output('a', ['a1', 'a2']);
  assert.deepEqual(await writeOutput(out, a), { committed: true, written: ['nginx.conf', ...paths(a)], removed: [] });
  assert.ok(existsSync(join(out, 'logs')) && existsSync(join(out, 'temp')));
  const b = output('b', ['b1']);
  assert.deepEqual(await writeOutput(out, b), {
    committed: true,
    written: [...paths(b), 'nginx.conf'],
    removed: paths(a),
  });
  assert.deepEqual(
    readdirSync(join(out, 'tls')).map((n) => `tls/${n}`),
    paths(b),
  );
  assert.deepEqual(diffOutput(out, b), []);
  assert.deepEqual(readdirSync(parent).sort(), ['out'], 'no staging directory or lock left beside DIR');
  assert.deepEqual(
    await writeOutput(out, b),
    { committed: true, written: [], removed: [] },
    'an unchanged render changes nothing',
  );
});

test('a failure in the middle of the swap rolls back: DIR is exactly as it was', async () => {
  const { parent, out } = fresh();
  await writeOutput(out, output('old', ['o1', 'o2']));
  const next = output('new', ['n1', 'n2', 'n3', 'n4']);
  const [, , , shared, last] = next.map((f) => f.path);
  // A file of the new output already there with other bytes (the render replaces it), then a
  // directory in the way of the last new file: the render fails after it has already placed files.
  writeFileSync(join(out, shared), 'tampered\n');
  mkdirSync(join(out, last, 'in-the-way'), { recursive: true });
  writeFileSync(join(out, 'logs/error.log'), 'user log\n');
  const before = snapshot(parent);
  await assert.rejects(writeOutput(out, next), (e: unknown) => {
    assert.ok(e instanceof FatalError);
    assert.match(e.message, /cannot write the output .*the previous output is unchanged/);
    return true;
  });
  assert.deepEqual(snapshotDiff(before, snapshot(parent)), []);
});

test("DIR that is not gwctl's is refused before anything is written", async () => {
  const { parent, out } = fresh();
  mkdirSync(out);
  writeFileSync(join(out, 'nginx.conf'), 'events {}\n');
  const before = snapshot(parent);
  await assert.rejects(writeOutput(out, output('a', ['a'])), /not written by gwctl/);
  assert.deepEqual(snapshotDiff(before, snapshot(parent)), []);

  const other = fresh();
  mkdirSync(join(other.out, 'nginx.conf'), { recursive: true });
  await assert.rejects(writeOutput(other.out, output('a', ['a'])), /is not a file/);
  writeFileSync(join(other.parent, 'file'), 'x');
  await assert.rejects(writeOutput(join(other.parent, 'file'), output('a', ['a'])), /not a directory/);
  await assert.rejects(
    writeOutput(join(other.parent, 'missing/out'), output('a', ['a'])),
    /parent directory of --out does not exist/,
  );
});

test('an existing directory with anything in it but no gwctl nginx.conf is refused, untouched; an empty one is rendered into', async () => {
  const { parent, out } = fresh();
  mkdirSync(join(out, 'projects'), { recursive: true });
  writeFileSync(join(out, 'notes.txt'), 'my notes\n');
  // Even a tls/ that looks like gwctl's: with no render of gwctl accounting for it, it is the user's.
  mkdirSync(join(out, 'tls'));
  writeFileSync(join(out, 'tls/trust-prod-0123456789ab.pem'), 'precious\n');
  for (const contents of [['notes.txt', 'projects/', 'tls/'], ['tls/']]) {
    const before = snapshot(parent);
    await assert.rejects(
      writeOutput(out, output('a', ['a'])),
      (e: unknown) => {
        assert.ok(e instanceof FatalError);
        assert.match(
          e.message,
          /is not empty and holds no nginx\.conf written by gwctl.*choose a new directory for --out/,
        );
        return true;
      },
      `DIR holding ${contents.join(', ')}`,
    );
    assert.deepEqual(snapshotDiff(before, snapshot(parent)), [], 'nothing written beside or inside DIR');
    rmSync(join(out, 'notes.txt'), { force: true });
    rmSync(join(out, 'projects'), { recursive: true, force: true });
  }

  const empty = fresh();
  mkdirSync(join(empty.out, 'logs'), { recursive: true });
  const a = output('a', ['a']);
  assert.equal(
    (await writeOutput(empty.out, a)).committed,
    true,
    'an empty DIR (empty logs/ at most) is rendered into',
  );
  assert.deepEqual(diffOutput(empty.out, a), []);
});

test('a symlinked tls/, logs/ or temp/ is refused: nothing is written or removed through it', async () => {
  for (const sub of ['tls', 'logs', 'temp']) {
    const { parent, out } = fresh();
    await writeOutput(out, output('a', ['a']));
    const victim = join(parent, 'victim');
    mkdirSync(victim);
    writeFileSync(join(victim, 'user.txt'), 'user data\n');
    writeFileSync(join(victim, `trust-mine-${'0'.repeat(12)}.pem`), 'mine\n');
    rmSync(join(out, sub), { recursive: true, force: true });
    symlinkSync('../victim', join(out, sub));
    const before = snapshot(parent);
    await assert.rejects(
      writeOutput(out, output('b', ['b'])),
      new RegExp(`${sub} is a symlink \\(to \\.\\./victim\\); gwctl writes under ${sub}/`),
    );
    assert.deepEqual(snapshotDiff(before, snapshot(parent)), [], `${sub}: nothing changed`);
  }
});

test('only files the old nginx.conf referred to are removed, and only while they are as gwctl wrote them', async () => {
  const { out } = fresh();
  const a = output('a', ['kept', 'edited', 'stale']);
  await writeOutput(out, a);
  const [, kept, edited, stale] = a.map((f) => f.path);
  // The user's own file with a gwctl-like name that nginx.conf never referred to, and a
  // referenced file the user edited: neither is gwctl's to remove.
  writeFileSync(join(out, 'tls/trust-prod-0123456789ab.pem'), 'precious\n');
  writeFileSync(join(out, edited), 'edited by the user\n');
  const b = output('b', ['b']);
  const r = await writeOutput(out, b);
  assert.deepEqual(r.removed, [kept, stale].sort());
  assert.equal(readFileSync(join(out, 'tls/trust-prod-0123456789ab.pem'), 'utf8'), 'precious\n');
  assert.equal(readFileSync(join(out, edited), 'utf8'), 'edited by the user\n');
  assert.deepEqual(diffOutput(out, b), [], "files that are not gwctl's are not drift either");
});

test('a render killed while adding files: the next one removes exactly what the killed one recorded as added', async () => {
  const { parent, out } = fresh();
  const a = output('a', ['a']);
  await writeOutput(out, a);
  // What a render of `b` killed after placing its first file leaves: the file, and its staging
  // directory with the record of what it was about to add and what nginx.conf referred to.
  const b = output('b', ['b1', 'b2']);
  const [added, notYet] = paths(b);
  writeFileSync(join(out, added), b.find((f) => f.path === added)!.content);
  const staging = join(parent, '.out.gwctl-staging-0123456789ab');
  mkdirSync(staging);
  writeFileSync(
    join(staging, '.gwctl-pending.json'),
    JSON.stringify({ adding: [added, notYet], dirs: [], previous: paths(a) }),
  );
  writeFileSync(join(out, 'tls/trust-prod-0123456789ab.pem'), 'precious\n');
  assert.deepEqual(diffOutput(out, a), [`${added}: not part of the rendered output`], '--check sees the leftover');
  const r = await writeOutput(out, a);
  assert.deepEqual(r, { committed: true, written: [], removed: [] });
  assert.ok(!existsSync(join(out, added)), 'the abandoned addition is removed');
  assert.deepEqual(readdirSync(join(out, 'tls')).sort(), [paths(a)[0].slice(4), 'trust-prod-0123456789ab.pem'].sort());
  assert.deepEqual(readdirSync(parent), ['out']);
});

test('a render killed after its commit: the next one removes what only the replaced nginx.conf referred to', async () => {
  const { parent, out } = fresh();
  const a = output('a', ['a']);
  await writeOutput(out, a);
  const b = output('b', ['b']);
  // b committed (its files and nginx.conf are in place), then was killed before removing a's files.
  for (const f of b) writeFileSync(join(out, f.path), f.content);
  const staging = join(parent, '.out.gwctl-staging-0123456789ab');
  mkdirSync(staging);
  writeFileSync(
    join(staging, '.gwctl-pending.json'),
    JSON.stringify({ adding: paths(b), dirs: [], previous: paths(a) }),
  );
  assert.deepEqual(diffOutput(out, b), [`${paths(a)[0]}: not part of the rendered output`]);
  await writeOutput(out, b);
  assert.deepEqual(
    readdirSync(join(out, 'tls')).map((n) => `tls/${n}`),
    paths(b),
  );
});

test('a render killed while rendering into an empty DIR: the next render accepts DIR and restores it', async () => {
  const { parent, out } = fresh();
  mkdirSync(out);
  const a = output('a', ['a1', 'a2']);
  mkdirSync(join(out, 'tls'));
  writeFileSync(join(out, paths(a)[0]), a[1].content);
  const staging = join(parent, '.out.gwctl-staging-0123456789ab');
  mkdirSync(staging);
  writeFileSync(
    join(staging, '.gwctl-pending.json'),
    JSON.stringify({ adding: paths(a), dirs: ['tls'], previous: [] }),
  );
  const b = output('b', ['b']);
  await writeOutput(out, b);
  assert.deepEqual(
    readdirSync(join(out, 'tls')).map((n) => `tls/${n}`),
    paths(b),
  );
  assert.deepEqual(diffOutput(out, b), []);
});

test('verifyStaged sees the complete output beside DIR before the commit; when it refuses, DIR stays exactly as it was', async () => {
  const { parent, out } = fresh();
  await writeOutput(out, output('a', ['a']));
  const before = snapshot(parent);
  const b = output('b', ['b']);
  let seen: string | undefined;
  const r = await writeOutput(out, b, {
    verifyStaged: async (staged) => {
      seen = staged;
      assert.equal(join(staged, '..'), parent, 'staged beside DIR: relative paths resolve as from DIR');
      for (const f of b) assert.equal(readFileSync(join(staged, f.path), 'utf8'), f.content);
      return false;
    },
  });
  assert.deepEqual(r, { committed: false, written: [], removed: [] });
  assert.ok(seen && !existsSync(seen), 'the staged copy is gone');
  assert.deepEqual(snapshotDiff(before, snapshot(parent)), []);
  assert.equal((await writeOutput(out, b, { verifyStaged: async () => true })).committed, true);
  assert.deepEqual(diffOutput(out, b), []);
});

test('a lock left by a dead gwctl, or by a pid now used by another process, is broken', async () => {
  // (What cannot be a gwctl record at all is not broken but reported: test/render/output-lock.test.ts.)
  for (const content of ['999999999 1 0123456789abcdef\n', `1 1 0123456789abcdef\n`]) {
    const { parent, out } = fresh();
    writeFileSync(join(parent, '.out.gwctl-lock'), content);
    mkdirSync(join(parent, '.out.gwctl-staging-abandoned/tls'), { recursive: true });
    // What a render killed while taking or breaking the lock leaves: its candidate (possibly
    // half-written), a lock set aside.
    writeFileSync(join(parent, '.out.gwctl-lock.0123456789abcdef'), content.slice(0, 7));
    writeFileSync(join(parent, '.out.gwctl-lock.fedcba9876543210'), '');
    writeFileSync(join(parent, '.out.gwctl-lock.stale-0123456789ab'), content);
    await writeOutput(out, output('a', ['a']));
    assert.deepEqual(
      readdirSync(parent),
      ['out'],
      `lock ${JSON.stringify(content)} was broken, and the abandoned staging and lock files removed`,
    );
  }
});

test('a lock candidate of a live contender is left for it to retry', async () => {
  const { parent, out } = fresh();
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const started = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  writeFileSync(join(parent, '.out.gwctl-lock.0123456789abcdef'), `${process.pid} ${started} 0123456789abcdef\n`);
  await writeOutput(out, output('a', ['a']));
  assert.deepEqual(readdirSync(parent).sort(), ['.out.gwctl-lock.0123456789abcdef', 'out']);
});

test('a live lock holder makes the render wait, and it fails cleanly when the holder never lets go', async () => {
  const { parent, out } = fresh();
  // Our own pid and start time: a live holder.
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const started = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  writeFileSync(join(parent, '.out.gwctl-lock'), `${process.pid} ${started} 0123456789abcdef\n`);
  const t0 = Date.now();
  await assert.rejects(writeOutput(out, output('a', ['a']), { lockWaitMs: 500 }), /being rendered by another gwctl/);
  assert.ok(Date.now() - t0 >= 500, 'it waited for the holder');
  assert.ok(!existsSync(out));
  assert.equal(
    readFileSync(join(parent, '.out.gwctl-lock'), 'utf8'),
    `${process.pid} ${started} 0123456789abcdef\n`,
    'the live lock is left alone',
  );
});
