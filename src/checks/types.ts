import type { Severity, SpecPath } from '../diagnostics/diagnostic.js';
import type { GatewaySpec } from '../load/spec-types.js';
import type { Material } from '../tls/material.js';

/** The part of the spec (or of gwctl's work) a code is about; docs/diagnostics.md groups by it. */
export type Scope =
  | 'yaml'
  | 'schema'
  | 'paths'
  | 'runtime'
  | 'listen'
  | 'trust-store'
  | 'client-certificate'
  | 'upstream'
  | 'upstream-tls'
  | 'route'
  | 'references'
  | 'files'
  | 'chain'
  | 'output'
  | 'nginx'
  | 'import'
  | 'probe'
  | 'run';

/**
 * What every diagnostic code carries, whoever emits it: the stable code, its severity, a one-line
 * summary (SARIF shortDescription) and help saying what to do (docs/diagnostics.md).
 */
export interface CodeInfo {
  code: string;
  severity: Severity;
  summary: string;
  help: string;
  scope: Scope;
}

/** What a check is given: the schema-valid spec, its directory, and the files loaded for it. */
export interface CheckContext {
  spec: GatewaySpec;
  specDir: string;
  /** Present for checks with `needs: 'material'`; files that failed to load are absent from it. */
  material?: Material;
}

/** One problem a check found: where in the spec, and what (the check supplies code and severity). */
export interface Finding {
  path: SpecPath;
  message: string;
}

/**
 * A rule of the spec: a pure function of the loaded spec (and, with `needs: 'material'`, of the
 * certificates and keys it names). Registered in src/checks/index.ts.
 */
export interface Check extends CodeInfo {
  /** 'spec' runs on the schema-valid document; 'material' after the files it names are loaded. */
  needs: 'spec' | 'material';
  run(ctx: CheckContext): Finding[];
}
