import type { X509Certificate } from 'node:crypto';
import type { PemBlock } from './pem.js';
import { x509Of } from './x509-once.js';

export interface CertificateFacts {
  x509: X509Certificate;
  selfIssued: boolean;
}

/** Per block, and blocks are shared by every reference to their file: each certificate is parsed once per run. */
const factsOf = new WeakMap<PemBlock, CertificateFacts | null>();

/** Node's reading of a PEM certificate block, or undefined when it is not an X.509 certificate. */
export function certificateFacts(b: PemBlock): CertificateFacts | undefined {
  let facts = factsOf.get(b);
  if (facts === undefined) {
    const x509 = x509Of(b.der);
    facts = x509 instanceof Error ? null : { x509, selfIssued: x509.issuer === x509.subject };
    factsOf.set(b, facts);
  }
  return facts ?? undefined;
}
