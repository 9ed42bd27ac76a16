import { runChecks } from '../checks/index.js';
import { hasFailures, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { LoadedSpec } from '../load/load-spec.js';
import { loadSpecOrEnvironment } from '../load/environment.js';
import type { GatewaySpec } from '../load/spec-types.js';
import { PemFiles } from '../tls/pem-files.js';
import { decodeCertificatesAhead, loadMaterial } from '../validate/files.js';
import { validateSchema } from '../validate/schema.js';
import type { Material } from '../tls/material.js';

export interface CheckedSpec {
  loaded: LoadedSpec;
  /** Present once the schema accepted the document. */
  spec?: GatewaySpec;
  /** Present once references resolved; files that failed to load are simply absent from it. */
  material?: Material;
  diagnostics: Diagnostic[];
}

/**
 * load → schema → checks of the spec → files → checks of the files. Each stage runs only when the previous one left usable input.
 * Pass one `files` to every spec of a run: each PEM file is then read once, within one budget.
 */
export function checkSpec(specPath: string, cwd: string, files = new PemFiles()): CheckedSpec {
  const front = checkDocument(specPath, cwd);
  return 'spec' in front ? checkFiles(front, files) : front.out;
}

/**
 * checkSpec(), with OpenSSL's reading of the spec's certificates done first by worker processes
 * when there are thousands of them (a big trust store): the same result, sooner.
 */
export async function checkSpecAsync(specPath: string, cwd: string, files = new PemFiles()): Promise<CheckedSpec> {
  const front = checkDocument(specPath, cwd);
  if (!('spec' in front)) return front.out;
  await decodeCertificatesAhead(front.spec, front.loaded.dir, files);
  return checkFiles(front, files);
}

interface CheckedDocument {
  loaded: LoadedSpec;
  spec: GatewaySpec;
  out: CheckedSpec;
  refs: Diagnostic[];
}

function checkDocument(specPath: string, cwd: string): CheckedDocument | { out: CheckedSpec } {
  const loaded = loadSpecOrEnvironment(specPath, cwd);
  const out: CheckedSpec = { loaded, diagnostics: [...loaded.diagnostics] };
  if (loaded.data === undefined) return { out };
  const schemaProblems = validateSchema(loaded.data);
  if (schemaProblems.length) return { out: { ...out, diagnostics: [...out.diagnostics, ...schemaProblems] } };
  const spec = loaded.data as GatewaySpec;
  const refs = runChecks('spec', { spec, specDir: loaded.dir });
  return { loaded, spec, out, refs };
}

function checkFiles({ loaded, spec, out, refs }: CheckedDocument, files: PemFiles): CheckedSpec {
  const { material, diagnostics: fileProblems } = loadMaterial(spec, loaded.dir, files);
  const fileChecks = runChecks('material', { spec, specDir: loaded.dir, material });
  const diagnostics = [...out.diagnostics, ...refs, ...fileProblems, ...fileChecks];
  return { loaded, spec, material: hasFailures(refs) ? undefined : material, diagnostics };
}
