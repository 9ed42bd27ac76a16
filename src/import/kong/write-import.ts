import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Document } from 'yaml';
import { FatalError, type Diagnostic } from '../../diagnostics/diagnostic.js';
import { positionAll } from '../../load/load-spec.js';
import { checkSpec } from '../../pipeline/check-spec.js';
import type { GatewayOut } from './gateway-out.js';

export const SPEC_FILE = 'gateway.yaml';

/** The spec's text: contract field order, a header saying where it came from. */
export function specText(
  out: GatewayOut,
  from: string,
  listen: { port: number; address?: string },
  flavor?: 'openresty' | 'nginx',
): string {
  const spec: Record<string, unknown> = { version: 1 };
  if (flavor === 'nginx') spec.runtime = { flavor };
  spec.listen = [listen];
  if (out.status) spec.status = out.status;
  if (out.trustStores.size) spec.trustStores = Object.fromEntries(out.trustStores);
  if (out.clientCertificates.size) spec.clientCertificates = Object.fromEntries(out.clientCertificates);
  if (out.upstreams.size) spec.upstreams = Object.fromEntries(out.upstreams);
  if (out.routes.length) spec.routes = out.routes;
  const doc = new Document(spec);
  doc.commentBefore = [
    ` Imported by gwctl from the Kong declarative config ${basename(from)}.`,
    ' What could not be mapped was listed by the import; run it again to see the list.',
  ].join('\n');
  return doc.toString({ lineWidth: 0 });
}

/**
 * Writes the spec and its PEM files into a new or empty DIR, all at once: everything is built and
 * validated (as `gwctl validate` would) in a staging directory beside DIR, which then becomes DIR.
 * On any error DIR is left as it was. Returns the validation's errors (nothing written then).
 */
export function writeImport(
  outDir: string,
  files: { path: string; content: string; mode: number }[],
  cwd: string,
): Diagnostic[] {
  assertNewOrEmpty(outDir);
  const staging = mkdtempSync(join(dirname(outDir), `.${basename(outDir)}.gwctl-import-`));
  try {
    for (const file of files) {
      const target = join(staging, file.path);
      const parent = dirname(target);
      if (!exists(parent)) {
        mkdirSync(parent, { recursive: true });
        // 755 whatever the umask, as everything gwctl creates: no other user may swap a CA file.
        chmodSync(parent, 0o755);
      }
      writeFileSync(target, file.content, { mode: file.mode, flag: 'wx' });
      chmodSync(target, file.mode);
    }
    const checked = checkSpec(join(staging, SPEC_FILE), cwd);
    // The staged spec is gone once this returns: its errors are positioned now, in its document.
    const errors = positionAll(checked.loaded, checked.diagnostics).filter((d) => d.severity === 'error');
    if (errors.length) return errors.map((d) => ({ ...d, file: d.file?.replace(staging, outDir) }));
    chmodSync(staging, 0o755);
    if (exists(outDir)) rmdirSync(outDir);
    renameSync(staging, outDir);
    return [];
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function assertNewOrEmpty(outDir: string): void {
  if (!exists(dirname(outDir)))
    throw new FatalError(`${dirname(outDir)}: the parent directory of --out does not exist`);
  if (!exists(outDir)) return;
  if (!statSync(outDir).isDirectory()) throw new FatalError(`${outDir}: --out exists and is not a directory`);
  if (readdirSync(outDir).length)
    throw new FatalError(
      `${outDir} is not empty: the import writes only into a new or empty directory, so that nothing of yours is overwritten; choose a new directory for --out`,
    );
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
