import type { X509Certificate } from 'node:crypto';
import { sameIssuerAndSubject } from './der-names.js';
import type { PemBlock } from './pem.js';
import { derKey, x509Of, x509Verdict } from './x509-once.js';

export interface CertificateFacts {
  /** node:crypto's object, built on first use (most certificates of a big bundle never need it). */
  readonly x509: X509Certificate;
  /** `x509.issuer === x509.subject`. */
  selfIssued: boolean;
}

/** Per block, and blocks are shared by every reference to their file: each certificate is parsed once per run. */
const factsOf = new WeakMap<PemBlock, CertificateFacts | null>();

/** Node's reading of a PEM certificate block, or undefined when it is not an X.509 certificate. */
export function certificateFacts(b: PemBlock): CertificateFacts | undefined {
  let facts = factsOf.get(b);
  if (facts === undefined) {
    facts = x509Verdict(b.der) === null ? factsFor(b.der) : null;
    factsOf.set(b, facts);
  }
  return facts ?? undefined;
}

function factsFor(der: Buffer): CertificateFacts {
  const object = (): X509Certificate => x509Of(der, derKey(der)) as X509Certificate;
  // Identical names print alike: a root of a bundle needs no X509Certificate. Names that differ
  // in bytes may still print alike (string types), so node:crypto's text settles those.
  const self = sameIssuerAndSubject(der) || object().issuer === object().subject;
  return {
    get x509() {
      return object();
    },
    selfIssued: self,
  };
}
