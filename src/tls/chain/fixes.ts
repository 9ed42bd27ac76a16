import { createHash } from 'node:crypto';
import type { CertRef, Fix, FixStep } from '../../diagnostics/fix.js';
import { likelyIssued } from './issued.js';
import type { ChainCert } from './types.js';

/** The machine-readable fixes the findings carry (src/diagnostics/fix.ts), built from engine certificates. */

export function certRef(c: ChainCert): CertRef {
  return { subject: c.subjectText, sha256: createHash('sha256').update(c.der).digest('hex') };
}

export const fix = (steps: FixStep[], alternative?: FixStep[]): Fix =>
  alternative ? { steps, alternative } : { steps };

/** Nothing in the spec helps: the certificate must be reissued (or renewed). */
export function outsideSpec(c: ChainCert | undefined, reason: string, action: 'reissue' | 'renew' = 'reissue'): Fix {
  return fix([{ kind: 'outside-spec', action, certificate: c ? certRef(c) : null, reason }]);
}

/** The issuers of `c`, then theirs, up to the self-signed root: added to the served chain, or (with the root) to the store. */
export function addIssuers(c: ChainCert, field: 'presentedChain' | 'trustStore'): FixStep {
  return {
    kind: 'add-issuers',
    field,
    of: certRef(c),
    issuer: c.issuerText,
    upTo: field === 'presentedChain' ? 'intermediates' : 'root',
  };
}

/** Add (or replace with) the current CRL of the CA that issued `c` to the trust store's CRL file. */
export function crlFix(c: ChainCert, kind: 'add-crl' | 'replace-crl'): Fix {
  return fix([{ kind, field: 'crl', of: certRef(c), issuer: c.issuerText }]);
}

/**
 * The presented certificates leaf first, each followed by the one that issued it; those outside
 * that path are left out (a server sends its own path, in order).
 */
export function leafFirstOrder(presented: ChainCert[], leafAt: number): ChainCert[] {
  const order = [presented[leafAt]];
  for (;;) {
    const last = order[order.length - 1];
    if (last.ex.selfSigned) break;
    const next = presented.find((p) => !order.includes(p) && likelyIssued(p, last));
    if (!next) break;
    order.push(next);
  }
  return order;
}
