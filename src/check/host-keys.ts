import { isAbsolute, join, resolve } from 'node:path';
import { error, type Diagnostic, type SpecPath } from '../diagnostics/diagnostic.js';
import { isHostFile, secretRefs } from '../load/file-ref.js';
import type { GatewaySpec } from '../load/spec-types.js';
import { PemFiles } from '../tls/pem-files.js';
import { keyMatches } from '../checks/key-mismatch.js';
import { readKey } from '../validate/files.js';
import { resolvePath } from '../tls/material.js';
import { showPath } from '../text/show.js';
import { keyUses, type ConfValue } from './conf-keys.js';

/**
 * `gwctl test DIR` on the gateway host: every key nginx.conf names exists, is not readable by
 * every user (group-readable is fine: a dedicated group for nginx's user), decrypts with its
 * password file, and belongs to its certificate. nginx -t, run as root, checks none of the
 * modes, and stops at the first key it cannot load.
 */
export interface HostKeyOptions {
  /** The rendered output directory (absolute): relative paths in nginx.conf resolve against it. */
  dir: string;
  conf: string;
  /** With --spec: findings point at the spec field that names the file. */
  spec?: { file: string; data: GatewaySpec; dir: string };
}

export function checkHostKeys(o: HostKeyOptions): Diagnostic[] {
  const files = new PemFiles();
  const fields = o.spec ? specFields(o.spec.data, o.spec.dir) : new Map<string, SpecPath>();
  const confFile = join(o.dir, 'nginx.conf');
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  const at = (d: Diagnostic, named: ConfValue): Diagnostic => {
    const field = fields.get(named.value);
    return field && o.spec
      ? { ...d, path: field, file: o.spec.file }
      : { ...d, path: [], file: confFile, line: named.line, column: 1 };
  };
  for (const use of keyUses(o.conf)) {
    const id = `${use.key.value}\u0000${use.passwordFile?.value ?? ''}\u0000${use.certificate?.value ?? ''}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const abs = (v: ConfValue) => (isAbsolute(v.value) ? v.value : resolve(o.dir, v.value));
    const found: Diagnostic[] = [];
    const key = readKey(files, {
      shown: use.key.value,
      file: abs(use.key),
      passwordShown: use.passwordFile?.value,
      passwordFile: use.passwordFile && abs(use.passwordFile),
      path: [],
      out: found,
      perms: 'host',
    });
    // readKey names the password file's problems at the passwordFile field.
    out.push(
      ...found.map((d) =>
        at(d, d.code.startsWith('key.password-file') && use.passwordFile ? use.passwordFile : use.key),
      ),
    );
    if (!key || !use.certificate) continue;
    const certs = files.read(abs(use.certificate), 'certificate');
    if ('problem' in certs || !certs.blocks.length) continue; // nginx -t names a missing certificate
    if (!keyMatches({ block: certs.blocks[0], file: abs(use.certificate) }, key))
      out.push(
        at(
          error(
            'key.mismatch',
            `${showPath(use.key.value)} is not the private key of the certificate in ${showPath(use.certificate.value)} (their public keys differ); nginx refuses to start ("key values mismatch")`,
          ),
          use.key,
        ),
      );
  }
  return out;
}

/** The spec field behind each key path nginx.conf names (the path as plan.ts renders it). */
function specFields(spec: GatewaySpec, specDir: string): Map<string, SpecPath> {
  const out = new Map<string, SpecPath>();
  for (const { ref, path } of secretRefs(spec))
    out.set(isHostFile(ref) ? ref.hostPath : resolvePath(specDir, ref), isHostFile(ref) ? [...path, 'hostPath'] : path);
  return out;
}
