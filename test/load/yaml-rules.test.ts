import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpecText } from '../../src/load/load-spec.js';

const problems = (text: string) =>
  parseSpecText(text, '/x/gw.yaml').diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`);

test('only YAML 1.2: a %YAML directive for another version is an error at its line; %YAML 1.2 is fine', () => {
  assert.deepEqual(problems('%YAML 1.1\n---\nverify: off\n'), ['1:1 yaml.version']);
  assert.deepEqual(problems('# c\n%YAML 1.3\n---\nversion: 1\n'), ['2:1 yaml.version']);
  const ok = parseSpecText('%YAML 1.2\n---\nverify: off\nport: 017\n', '/x/gw.yaml');
  assert.deepEqual(ok.diagnostics, []);
  assert.deepEqual(ok.data, { verify: 'off', port: 17 }, 'YAML 1.2 core: off is text, 017 is decimal');
});

test('a second document is an error at its "---", in the spec\'s terms (not the parser\'s API)', () => {
  const d = parseSpecText('version: 1\n---\nversion: 1\n', '/x/gw.yaml').diagnostics;
  assert.deepEqual(
    d.map((x) => `${x.line}:${x.column} ${x.code}`),
    ['2:1 yaml.multiple-documents'],
  );
  assert.doesNotMatch(d[0].message, /parseAllDocuments/);
});

test('a map, list or alias as a map key is an error at the key, with no warning from the process', async () => {
  const warnings: string[] = [];
  const listener = (w: Error) => warnings.push(w.message);
  process.on('warning', listener);
  try {
    assert.deepEqual(problems('version: 1\nx:\n  ? {a: 1}\n  : 2\n'), ['3:5 yaml.complex-key']);
    assert.deepEqual(problems('version: 1\n? [a]\n: 2\n'), ['2:3 yaml.complex-key']);
    assert.deepEqual(problems('a: &k x\n? *k\n: 2\n'), ['2:3 yaml.complex-key']);
    // process.emitWarning() delivers on a later tick: wait for it before looking.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', listener);
  }
  assert.deepEqual(warnings, []);
});

test('explicit tags are refused at the tag, resolvable or not', () => {
  assert.deepEqual(problems('port: !!float 8080\n'), ['1:7 yaml.tag']);
  assert.deepEqual(problems('port: !!str 8080\n'), ['1:7 yaml.tag']);
  assert.deepEqual(problems('a: !!map {}\nb: &x !local y\n'), ['1:4 yaml.tag', '2:7 yaml.tag']);
  const d = parseSpecText('port: !!float 8080\n', '/x/gw.yaml').diagnostics[0];
  assert.doesNotMatch(d.message, /Unresolved|tag:yaml\.org/);
});
