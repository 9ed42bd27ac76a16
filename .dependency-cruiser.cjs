/**
 * Dependency rules for src/ (run by `npm run depcheck` and by test/architecture.test.ts).
 * The pipeline reads left to right — load → validate/checks → analyze (tls engine) → plan →
 * render → check (nginx -t) — and a module imports only from its own stage or earlier ones.
 * Type-only imports count: they tie modules together just the same.
 */

/** Stages, lowest first. A module may import from its own stage and the ones before it. */
const LAYERS = [
  ['diagnostics', 'text'],
  ['load'],
  ['tls'],
  ['validate'],
  ['checks'],
  ['analyze'],
  ['plan'],
  ['output'],
  ['render'],
  ['check'],
  ['format'],
  ['pipeline'],
  ['import'],
  ['cli-args'],
  ['commands'],
  ['cli'],
];

const folder = (name) => `^src/${name}(/|\\.ts$)`;

const layerRules = LAYERS.flatMap((layer, i) => {
  const later = LAYERS.slice(i + 1).flat();
  if (!later.length) return [];
  return [
    {
      name: `pipeline-order-${layer.join('-')}`,
      comment: `${layer.join(', ')} may not import later stages (${later.join(', ')})`,
      severity: 'error',
      from: { path: `^src/(${layer.join('|')})(/|\\.ts$)` },
      to: { path: `^src/(${later.join('|')})(/|\\.ts$)` },
    },
  ];
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles anywhere in src/, type-only imports included',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'chain-engine-through-its-index',
      comment: 'Outside src/tls/chain/ the engine is used only through its index (and its types)',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/tls/chain/' },
      to: { path: '^src/tls/chain/', pathNot: '^src/tls/chain/(index|types)\\.ts$' },
    },
    {
      name: 'commands-do-not-import-commands',
      comment: 'A command composes stages; what two commands share is a module of its own (nginx-test-step.ts, context.ts)',
      severity: 'error',
      from: { path: '^src/commands/' },
      to: { path: '^src/commands/(validate|render|test|verify-chain|import|probe|explain)\\.ts$' },
    },
    {
      name: 'nginx-test-reads-no-render-internals',
      comment: 'gwctl test reads a rendered directory through src/output/ (layout, modes), not through render',
      severity: 'error',
      from: { path: '^src/check/' },
      to: { path: '^src/render/' },
    },
    {
      name: 'plan-reads-no-validation-internals',
      comment: 'The plan takes the checked spec and its loaded material (src/tls/material.ts), not the validators',
      severity: 'error',
      from: { path: '^src/plan/' },
      to: { path: '^src/(validate|checks)/' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true, pathNot: '\\.json$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
