import { basename, join } from 'node:path';
import { error, type Diagnostic, type SpecPath } from '../diagnostics/diagnostic.js';
import { fromSpec, loadSpec, type LoadedSpec } from './load-spec.js';

/**
 * Per-environment specs (docs/environments.md). An environment file names its base spec and
 * changes only what the base allows:
 *
 *   # gateway.production.yaml                 # gateway.yaml (the base, a complete spec)
 *   extends: gateway.yaml                      environments:
 *   overrides:                                   overridable: [upstreams.*.servers, clientCertificates.*.key]
 *     upstreams: { orders: { servers: [...] } }
 *
 * The result is checked like any spec; each finding points at the file that wrote the value.
 */
const OVERLAY_KEYS = ['extends', 'overrides'];

/** A spec file, or an environment file merged onto its base (then `overlay` is set). */
export function loadSpecOrEnvironment(specPath: string, cwd: string): LoadedSpec {
  const loaded = loadSpec(specPath, cwd);
  if (!isMap(loaded.data) || !('extends' in loaded.data)) return loaded;
  const env = loaded;
  const data = loaded.data;
  const problems: Diagnostic[] = [];
  for (const key of Object.keys(data))
    if (!OVERLAY_KEYS.includes(key))
      problems.push(
        error(
          'env.unknown-key',
          `unknown key "${key}" in an environment file: it holds only extends (the base spec) and overrides`,
          [key],
        ),
      );
  const base = data.extends;
  if (typeof base !== 'string' || base === '' || base.includes('/') || base === '.' || base === '..')
    problems.push(
      error(
        'env.bad-extends',
        'extends names the base spec by its file name, in the same directory as this file (so relative paths mean the same in both)',
        ['extends'],
      ),
    );
  if (data.overrides !== undefined && !isMap(data.overrides))
    problems.push(error('env.bad-overrides', 'overrides is a map shaped like the spec', ['overrides']));
  if (problems.length) return failed(env, problems);
  if (join(env.dir, base as string) === env.file)
    return failed(env, [error('env.bad-extends', 'an environment file cannot extend itself', ['extends'])]);

  const baseLoaded = loadSpec(join(env.dir, base as string), cwd);
  if (!isMap(baseLoaded.data)) return { ...baseLoaded, overlay: { loaded: env, replaced: [] } };
  if ('extends' in baseLoaded.data)
    return failed(env, [
      error(
        'env.bad-extends',
        `${basename(baseLoaded.file)} is itself an environment file; extend the complete spec instead`,
        ['extends'],
      ),
    ]);
  const allowed = overridable(baseLoaded.data);
  const replaced: SpecPath[] = [];
  const merged = structuredClone(baseLoaded.data);
  mergeInto(merged, (data.overrides ?? {}) as Record<string, unknown>, [], allowed, replaced, problems);
  return {
    ...baseLoaded,
    data: merged,
    diagnostics: [
      ...baseLoaded.diagnostics,
      ...fromSpec(
        env,
        problems.map((p) => ({ ...p, path: ['overrides', ...p.path] })),
      ),
    ],
    overlay: { loaded: env, replaced },
  };
}

/** An environment file that cannot be applied: its own findings, and no spec to check. */
function failed(env: LoadedSpec, problems: Diagnostic[]): LoadedSpec {
  return { ...env, data: undefined, diagnostics: [...env.diagnostics, ...fromSpec(env, problems)] };
}

/** The base's allow-list: environments: overridable, dot-separated, `*` for any one name. */
function overridable(base: Record<string, unknown>): string[][] {
  const envs = base.environments;
  if (!isMap(envs) || !Array.isArray(envs.overridable)) return [];
  return envs.overridable.filter((p): p is string => typeof p === 'string').map((p) => p.split('.'));
}

function matches(pattern: string[], path: SpecPath): boolean {
  return pattern.length === path.length && pattern.every((seg, i) => seg === '*' || seg === String(path[i]));
}

/**
 * Walks the overrides: a path the allow-list names is replaced whole; above it, maps are walked
 * key by key (only keys the base has); anything else is refused where it is written.
 */
function mergeInto(
  target: Record<string, unknown>,
  overrides: Record<string, unknown>,
  at: SpecPath,
  allowed: string[][],
  replaced: SpecPath[],
  problems: Diagnostic[],
): void {
  for (const [key, value] of Object.entries(overrides)) {
    const path = [...at, key];
    if (allowed.some((p) => matches(p, path))) {
      target[key] = value;
      replaced.push(path);
      continue;
    }
    const below = allowed.some((p) => p.length > path.length && matches(p.slice(0, path.length), path));
    if (below && isMap(value) && isMap(target[key])) {
      mergeInto(target[key] as Record<string, unknown>, value, path, allowed, replaced, problems);
      continue;
    }
    problems.push(
      error(
        'env.not-overridable',
        `${path.join('.')} may not differ between environments: the base spec allows ${allowed.length ? allowed.map((p) => p.join('.')).join(', ') : 'nothing'} (environments.overridable)${below ? `, and has no ${path.join('.')} to change` : ''}`,
        path,
      ),
    );
  }
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
