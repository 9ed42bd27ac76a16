import type { SpecPath } from '../diagnostics/diagnostic.js';
import { isHostFile } from '../load/file-ref.js';
import type { FileRef, GatewaySpec } from '../load/spec-types.js';
import { hasUnsafeCharacters, show } from '../text/show.js';
import type { Check } from './types.js';
import { NGINX_TOKEN_MAX_BYTES, quotedBytes } from '../text/quote.js';

interface NamedFile {
  value: string;
  path: SpecPath;
  /** nginx.conf names this path verbatim (keys, password files, the modules directory). */
  rendered: boolean;
}

/** Every file path the spec names, in spec order. */
export function specFiles(spec: GatewaySpec): NamedFile[] {
  const out: NamedFile[] = [];
  const add = (value: string | undefined, path: SpecPath, rendered: boolean) => {
    if (value !== undefined) out.push({ value, path, rendered });
  };
  /** Keys and password files: nginx.conf names them, whether read here or on the gateway host (hostPath). */
  const addSecret = (ref: FileRef | undefined, path: SpecPath) => {
    if (isHostFile(ref)) add(ref.hostPath, [...path, 'hostPath'], true);
    else add(ref, path, true);
  };
  add(spec.runtime?.modulesPath, ['runtime', 'modulesPath'], true);
  for (const [name, ts] of Object.entries(spec.trustStores ?? {})) {
    ts.certificates.forEach((p, i) => add(p, ['trustStores', name, 'certificates', i], false));
    add(ts.crl, ['trustStores', name, 'crl'], false);
  }
  for (const [name, cc] of Object.entries(spec.clientCertificates ?? {})) {
    add(cc.certificate, ['clientCertificates', name, 'certificate'], false);
    addSecret(cc.key, ['clientCertificates', name, 'key']);
    addSecret(cc.passwordFile, ['clientCertificates', name, 'passwordFile']);
  }
  spec.listen.forEach((l, i) => {
    if (!l.tls) return;
    add(l.tls.certificate, ['listen', i, 'tls', 'certificate'], false);
    addSecret(l.tls.key, ['listen', i, 'tls', 'key']);
    addSecret(l.tls.passwordFile, ['listen', i, 'tls', 'passwordFile']);
  });
  for (const [name, up] of Object.entries(spec.upstreams ?? {}))
    add(up.tls?.presentedChain, ['upstreams', name, 'tls', 'presentedChain'], false);
  return out;
}

export const pathBad: Check = {
  code: 'path.bad',
  severity: 'error',
  scope: 'paths',
  needs: 'spec',
  summary: 'A file path contains a NUL byte',
  help: 'No file can have a NUL byte in its name: correct the path.',
  run: ({ spec }) =>
    specFiles(spec)
      .filter((f) => f.value.includes('\u0000'))
      .map((f) => ({ path: f.path, message: `${show(f.value)} contains a NUL byte; no file can have that name` })),
};

/**
 * Paths nginx.conf names verbatim must survive nginx quoting: no control characters, and no "$",
 * which nginx would expand as a variable in these directives.
 */
export const pathUnrenderable: Check = {
  code: 'path.unrenderable',
  severity: 'error',
  scope: 'paths',
  needs: 'spec',
  summary: 'A path nginx.conf names verbatim cannot be written there safely',
  help: 'Keys, password files and the modules directory are named in nginx.conf as written: use plain text without control characters or "$" (rename the file or its directory).',
  run: ({ spec }) =>
    specFiles(spec)
      .filter((f) => f.rendered && !f.value.includes('\u0000'))
      .flatMap((f) => {
        if (hasUnsafeCharacters(f.value))
          return [
            {
              path: f.path,
              message: `${show(f.value)} contains a control or invisible character; nginx.conf names this file, so its path must be plain text`,
            },
          ];
        if (quotedBytes(f.value) > NGINX_TOKEN_MAX_BYTES)
          return [
            {
              path: f.path,
              message: `${show(f.value)} is ${quotedBytes(f.value)} bytes in nginx.conf once quoted and escaped; nginx reads a value of at most ${NGINX_TOKEN_MAX_BYTES} bytes ("too long parameter")`,
            },
          ];
        if (f.value.includes('$'))
          return [
            {
              path: f.path,
              message: `${show(f.value)} contains "$": nginx.conf names this file and nginx would read "$" as the start of a variable; rename the file or its directory`,
            },
          ];
        return [];
      }),
};
