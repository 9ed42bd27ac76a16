import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { parsePlainYaml, type Positions } from '../../src/load/plain-yaml.js';
import { locate, parseSpecText } from '../../src/load/load-spec.js';
import type { SpecPath } from '../../src/diagnostics/diagnostic.js';

/**
 * The fast reader (src/load/plain-yaml.ts) against `yaml` itself: whatever it accepts must be a
 * document `yaml` reads without a problem, to the same data, with every node and key at the same
 * offset. Seeds are the repository's YAML files and generated specs; the mutants are made by a
 * seeded generator, so a failure names a reproducible input.
 */

const repo = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
const SEEDS = [
  'examples/mtls-upstream/gateway.yaml',
  'test/golden/every-partial/gateway.yaml',
  'test/import/kong/deck/route-by-service-name.1.1.yaml',
].map((p) => readFileSync(repo(p), 'utf8'));
/** decK files with certificates in block scalars (`cert: |`): the full parser's. */
const BLOCK_SCALAR_FILES = [
  'test/import/kong/deck/entities-with-tags.3.0.yaml',
  'test/import/kong/deck/ca-certs-order.3.0.yaml',
];

/** A spec in the shapes big specs take: flow entries, block entries, nested blocks, quoted paths. */
function generated(routes: number): string {
  // An indentless sequence (items at the key's own column) as well as indented ones.
  const out = ['version: 1', 'runtime: { flavor: nginx }', 'listen:', '- { port: 18080, address: 127.0.0.1 }'];
  out.push('trustStores:', `  s0: { certificates: ["/etc/ssl/certs/ca-certificates.crt", 'it''s.pem'] }`);
  out.push('upstreams:');
  for (let u = 0; u < 5; u++)
    out.push(
      `  u${u}:`,
      `    servers: ["127.0.0.1:${20000 + u}", 127.0.0.1:${21000 + u}]`,
      '    tls:',
      `      trustStore: s0   # shared`,
      `      serverName: u${u}.internal`,
      '      protocols: [TLSv1.2, TLSv1.3]',
      '      verifyDepth: 2',
      '      verify: true',
    );
  out.push('routes:');
  for (let r = 0; r < routes; r++) {
    if (r % 3 === 0) out.push(`  - { path: /api/u${r % 5}/r${r}/, upstream: u${r % 5} }`);
    else if (r % 3 === 1) out.push(`  - path: "/r${r}/"`, `    upstream: u${r % 5}`, '    stripPath: false');
    else
      out.push(
        `  -   path: /plain/${r}`,
        `      upstream: 'u${r % 5}'`,
        '      retry: { tries: 3, on: [error, timeout] }',
      );
  }
  return `${out.join('\n')}\n`;
}

/** Every node's offset as yaml has it, in plain-yaml.ts's path format. */
function yamlPositions(node: unknown, path: string, out: Positions): void {
  const n = node as Node;
  if (n?.range) out.set(path, n.range[0]);
  const join = (seg: string) => `${path}${path ? '\0' : ''}${seg}`;
  if (isMap(node))
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '?';
      const here = join(`k${key}`);
      if ((pair.key as Node)?.range) out.set(`${here}\u0001`, (pair.key as Node).range![0]);
      yamlPositions(pair.value, here, out);
    }
  else if (isSeq(node)) node.items.forEach((item, i) => yamlPositions(item, join(`i${i}`), out));
}

/** undefined when the fast reader declines; otherwise why it disagrees with yaml, or 'same'. */
function compare(text: string): 'declined' | 'same' | string {
  const positions: Positions = new Map();
  const fast = parsePlainYaml(text, positions);
  if (!fast) return 'declined';
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, strict: true, version: '1.2' });
  if (doc.errors.length || doc.warnings.length)
    return `accepted what yaml refuses: ${[...doc.errors, ...doc.warnings].map((e) => e.message.split('\n')[0]).join('; ')}`;
  try {
    assert.deepStrictEqual(fast.data, doc.toJS());
  } catch {
    return `other data: ${JSON.stringify(fast.data)} vs ${JSON.stringify(doc.toJS())}`;
  }
  const expected: Positions = new Map();
  yamlPositions(doc.contents, '', expected);
  for (const [k, v] of expected)
    if (positions.get(k) !== v) return `position of ${JSON.stringify(k)}: ${positions.get(k)} vs yaml's ${v}`;
  if (positions.size !== expected.size) return `${positions.size} positions vs yaml's ${expected.size}`;
  return 'same';
}

/** mulberry32: reproducible mutants. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  ' ',
  '  ',
  ':',
  ': ',
  '-',
  '- ',
  '#',
  ' #',
  "'",
  '"',
  "''",
  '{',
  '}',
  '[',
  ']',
  ',',
  '\n',
  '\n  ',
  '&a ',
  '*a',
  '!',
  '|',
  '>',
  '%',
  '@',
  '?',
  '? ',
  '0',
  '1',
  '0x1',
  '1.5',
  'true',
  'null',
  '~',
  'a',
  'é',
  '\\',
  '---',
  '<<',
  '__proto__',
  '\t',
  '\r',
];

function mutate(text: string, rnd: () => number): string {
  let t = text;
  const edits = 1 + Math.floor(rnd() * 3);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rnd() * (t.length + 1));
    const kind = rnd();
    if (kind < 0.35) t = t.slice(0, at) + PIECES[Math.floor(rnd() * PIECES.length)] + t.slice(at);
    else if (kind < 0.6) t = t.slice(0, at) + t.slice(at + 1 + Math.floor(rnd() * 3));
    else if (kind < 0.8) {
      // Re-indent one line by -2..+2 spaces.
      const start = t.lastIndexOf('\n', at - 1) + 1;
      const d = Math.floor(rnd() * 5) - 2;
      t =
        d > 0
          ? t.slice(0, start) + ' '.repeat(d) + t.slice(start)
          : t.slice(0, start) + t.slice(start).replace(new RegExp(`^ {0,${-d}}`), '');
    } else {
      // Copy one line elsewhere (duplicate keys, misplaced items).
      const start = t.lastIndexOf('\n', at - 1) + 1;
      const end = t.indexOf('\n', at);
      const line = t.slice(start, end < 0 ? t.length : end + 1);
      const to = Math.floor(rnd() * t.length);
      const lineStart = t.lastIndexOf('\n', to - 1) + 1;
      t = t.slice(0, lineStart) + line + (line.endsWith('\n') ? '' : '\n') + t.slice(lineStart);
    }
  }
  return t;
}

test('the repository YAML and generated specs: the fast reader reads them, as yaml does', () => {
  for (const text of [...SEEDS, generated(40)]) assert.equal(compare(text), 'same', text.slice(0, 200));
});

test('white space other than spaces is text, as yaml has it (no trimming of U+00A0, U+2009, U+3000...)', () => {
  const texts = [
    'a\u00a0: b\n',
    'a: b\u00a0\n',
    'a: b\u202f # c\n',
    'a\u3000: c\n',
    'a: [b\u2009, c]\n',
    'a: {k\u00a0: v}\n',
    'a: \u00a0b\n',
  ];
  assert.deepEqual(
    texts.map((t) => [t, compare(t)]),
    texts.map((t) => [t, 'same']),
  );
  assert.deepEqual(parsePlainYaml('a\u00a0: b \n')?.data, { 'a\u00a0': 'b' });
});

test('what the fast reader declines: anchors, tags, escapes, nulls, floats, duplicates, tabs, documents', () => {
  const declined = [
    'a: &x 1\nb: *x\n',
    'a: !!str 1\n',
    'a: "x\\ty"\n',
    'a:\nb: 1\n',
    'a: ~\n',
    'a: 1.5\n',
    'a: 0x1f\n',
    'a: -1\n',
    'a: 1\na: 2\n',
    'a:\tb\n',
    '---\na: 1\n',
    'a: |\n  text\n',
    'a: [1,\n  2]\n',
    'a: plain\n  continued\n',
    '1: x\n',
    '<<: {a: 1}\n',
    '__proto__: {a: 1}\n',
    'a: {b: 1,}\n',
    'a: "\ud800"\n',
    '',
    `"${'k'.repeat(1100)}": v\n`,
    `- '${'k'.repeat(1100)}': v\n`,
    ...BLOCK_SCALAR_FILES.map((p) => readFileSync(repo(p), 'utf8')),
  ];
  assert.deepEqual(
    declined.map((t) => [t.slice(0, 40), compare(t)]),
    declined.map((t) => [t.slice(0, 40), 'declined']),
  );
});

test('mutated documents: whatever the fast reader accepts, yaml reads without a problem to the same data and positions', () => {
  const rnd = random(20261207);
  const seeds = [...SEEDS, generated(12)];
  let accepted = 0;
  const wrong: string[] = [];
  for (let i = 0; i < 12000; i++) {
    const text = mutate(seeds[i % seeds.length], rnd);
    const r = compare(text);
    if (r === 'same') {
      accepted++;
      // Line and column too (the line table is built without yaml) for one accepted mutant in ten.
      if (accepted % 10 === 0) {
        const fast = parseSpecText(text, 'spec.yaml');
        const full = parseSpecText(text, 'spec.yaml', false);
        const all = paths(full.data);
        const differ = all.find((p) => JSON.stringify(locate(fast, p)) !== JSON.stringify(locate(full, p)));
        if (differ) wrong.push(`locate ${JSON.stringify(differ)} differs\n--- mutant ${i} ---\n${text}`);
      }
    } else if (r !== 'declined') wrong.push(`${r}\n--- mutant ${i} ---\n${text}`);
  }
  assert.deepEqual(wrong.slice(0, 3), []);
  // The comparison is not vacuous: most mutants stay inside the subset.
  assert.ok(accepted > 3000, `only ${accepted} mutants accepted`);
});

/** Every path into the data, and some that go past it (locate falls back to the closest parent). */
function paths(data: unknown, prefix: SpecPath = []): SpecPath[] {
  const out: SpecPath[] = [prefix, [...prefix, 'missing'], [...prefix, 7]];
  if (Array.isArray(data)) data.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (data && typeof data === 'object')
    for (const [k, v] of Object.entries(data)) out.push(...paths(v, [...prefix, k]), [...prefix, Number(k)]);
  return out;
}

test('a spec read by the fast reader: the same data, and every diagnostic at the same line and column as with yaml', () => {
  for (const text of [...SEEDS, generated(30), `# leading comment\n\n  a: 1\n  b: [x, {c: "d"}]\n`]) {
    assert.ok(parsePlainYaml(text), 'read by the fast reader');
    const fast = parseSpecText(text, 'spec.yaml');
    const full = parseSpecText(text, 'spec.yaml', false);
    assert.deepEqual([fast.data, fast.diagnostics], [full.data, full.diagnostics]);
    const all = paths(full.data);
    assert.ok(all.length > 20);
    for (const key of [false, true])
      assert.deepEqual(
        all.map((p) => [p, locate(fast, p, key)]),
        all.map((p) => [p, locate(full, p, key)]),
      );
  }
});
