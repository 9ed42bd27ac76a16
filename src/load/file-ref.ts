import type { SpecPath } from '../diagnostics/diagnostic.js';
import type { FileRef, GatewaySpec, HostFile } from './spec-types.js';

/** A key or password file that lives only on the gateway host: gwctl never opens it. */
export function isHostFile(ref: FileRef | undefined): ref is HostFile {
  return typeof ref === 'object' && ref !== null;
}

/** The path a file reference names: the hostPath, or the path as the spec wrote it. */
export function refPath(ref: FileRef): string {
  return isHostFile(ref) ? ref.hostPath : ref;
}

/** Every key and password file the spec names, with its field. */
export function secretRefs(spec: GatewaySpec): { ref: FileRef; path: SpecPath }[] {
  const out: { ref: FileRef; path: SpecPath }[] = [];
  const add = (holder: { key: FileRef; passwordFile?: FileRef }, base: SpecPath) => {
    out.push({ ref: holder.key, path: [...base, 'key'] });
    if (holder.passwordFile !== undefined) out.push({ ref: holder.passwordFile, path: [...base, 'passwordFile'] });
  };
  spec.listen.forEach((l, i) => {
    if (l.tls) add(l.tls, ['listen', i, 'tls']);
  });
  for (const [name, cc] of Object.entries(spec.clientCertificates ?? {})) add(cc, ['clientCertificates', name]);
  return out;
}

/** The hostPaths of the spec's keys and password files: nginx.conf names them, gwctl never reads them. */
export function hostPaths(spec: GatewaySpec): Set<string> {
  return new Set(
    secretRefs(spec)
      .map((s) => s.ref)
      .filter(isHostFile)
      .map((r) => r.hostPath),
  );
}
