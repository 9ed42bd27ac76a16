import { X509Certificate, createPublicKey, type KeyObject } from 'node:crypto';
import type { SpecPath } from '../diagnostics/diagnostic.js';
import { refPath } from '../load/file-ref.js';
import type { FileRef } from '../load/spec-types.js';
import type { CertSource } from '../tls/verdict.js';
import { showPath } from '../text/show.js';
import type { Check, Finding } from './types.js';
import type { KeyPair } from '../tls/material.js';

export const keyMismatch: Check = {
  code: 'key.mismatch',
  severity: 'error',
  scope: 'files',
  needs: 'material',
  summary: 'A private key is not the key of its certificate',
  help: 'nginx would refuse to start ("key values mismatch"): name the key file that belongs to the certificate (their public keys must be equal; compare `openssl x509 -noout -pubkey` with `openssl pkey -pubout`).',
  run: ({ spec, material }) => {
    const out: Finding[] = [];
    const check = (pair: KeyPair | undefined, certPath: string, keyRef: FileRef, path: SpecPath) => {
      if (pair?.key && !keyMatches(pair.certs[0], pair.key))
        out.push({
          path: [...path, 'key'],
          message: `${showPath(refPath(keyRef))} is not the private key of the certificate in ${showPath(certPath)} (their public keys differ)`,
        });
    };
    spec.listen.forEach((l, i) => {
      if (l.tls) check(material?.listeners.get(i), l.tls.certificate, l.tls.key, ['listen', i, 'tls']);
    });
    for (const [name, cc] of Object.entries(spec.clientCertificates ?? {}))
      check(material?.clientCertificates.get(name), cc.certificate, cc.key, ['clientCertificates', name]);
    return out;
  },
};

export function keyMatches(cert: CertSource, key: KeyObject): boolean {
  try {
    const fromCert = new X509Certificate(cert.block.der).publicKey.export({ type: 'spki', format: 'der' });
    const fromKey = createPublicKey(key).export({ type: 'spki', format: 'der' });
    return fromCert.equals(fromKey);
  } catch {
    return false;
  }
}
