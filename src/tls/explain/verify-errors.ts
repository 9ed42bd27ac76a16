/**
 * What each verify error nginx logs as `upstream SSL certificate verify error: (CODE:REASON)`
 * means for an upstream, the likely reasons in the order they are met in practice, the fix, and
 * the spec fields that carry it. OpenSSL reports the LAST error its callback saw (nginx's
 * callback lets verification continue), so a code names the last problem, not always the first.
 */
export interface VerifyAdvice {
  cause: string;
  reasons: string[];
  fix: string;
  /** Spec fields to change, as `upstreams.UPSTREAM.tls.verifyDepth`; UPSTREAM and STORE are filled in. */
  fields: string[];
}

const REISSUE = 'outside the spec: the upstream must reissue its certificate';
const PROBE = 'run `gwctl probe SPEC --upstream UPSTREAM` to see the chain it really serves';

export const VERIFY_ADVICE: Record<number, VerifyAdvice> = {
  2: {
    cause:
      'the CA at the top of the chain is not self-signed and its issuer is in no file nginx has: OpenSSL reached a certificate it cannot anchor (nginx accepts no partial chains)',
    reasons: [
      'the trust store holds an intermediate CA but not the root above it',
      'the upstream serves a chain whose top certificate was issued by a root the trust store lacks',
    ],
    fix: `add the self-signed root that issued the top of the chain to the trust store (a trusted intermediate is not enough); ${PROBE}`,
    fields: ['trustStores.STORE.certificates'],
  },
  3: {
    cause:
      'proxy_ssl_crl is set, and a certificate of the chain has no CRL from its issuer in it (nginx checks every certificate, the root included)',
    reasons: ["the CRL file lacks the root's own CRL", "the CRL file lacks an intermediate's CRL"],
    fix: "put a current CRL of every CA of the chain, the root's too, in the trust store's crl file",
    fields: ['trustStores.STORE.crl'],
  },
  7: {
    cause: "a signature in the chain does not verify with its issuer's key",
    reasons: [
      'an intermediate with the right name but another key (a renewed or twin CA) is served or trusted',
      'the certificate was altered or corrupted',
    ],
    fix: `serve (and trust) the CA certificate whose key really signed the certificate below it; ${PROBE}`,
    fields: ['trustStores.STORE.certificates'],
  },
  9: {
    cause: 'a certificate of the chain is not valid yet',
    reasons: ["the gateway host's clock is behind", 'the certificate was issued with a future notBefore'],
    fix: "set the gateway host's clock right (NTP), or wait; else the upstream reissues with a current notBefore",
    fields: [],
  },
  10: {
    cause: 'a certificate of the chain has expired',
    reasons: [
      "the upstream's leaf expired",
      'an intermediate it serves expired (a renewed one exists but the old one is served)',
      'a trusted root expired',
      "the gateway host's clock is ahead",
    ],
    fix: `renew the expired certificate (${REISSUE} for the leaf or its intermediates; a trust-store root is replaced in trustStores.STORE.certificates); ${PROBE}`,
    fields: ['trustStores.STORE.certificates'],
  },
  12: {
    cause: 'a CRL in proxy_ssl_crl has passed its nextUpdate (nginx never reloads CRLs by itself)',
    reasons: ['the CRL file was not refreshed'],
    fix: "replace the trust store's crl file with current CRLs and reload nginx",
    fields: ['trustStores.STORE.crl'],
  },
  18: {
    cause: 'the upstream serves a self-signed certificate that is not in the trust store',
    reasons: ['the upstream uses a self-signed certificate', 'the trust store holds another copy (another key) of it'],
    fix: 'put that exact certificate in the trust store (pinning), or have the upstream serve a certificate from the CA the trust store holds',
    fields: ['trustStores.STORE.certificates'],
  },
  19: {
    cause: 'the chain ends in a self-signed root that is not in the trust store',
    reasons: [
      'the trust store holds another root than the one the upstream chains to',
      'the upstream serves its root too, and that root is not trusted',
    ],
    fix: `add the root the upstream's chain ends in to the trust store, if you trust it; ${PROBE}`,
    fields: ['trustStores.STORE.certificates'],
  },
  20: {
    cause:
      'OpenSSL could not find the issuer of a certificate of the chain, neither among what the upstream sent nor in the trust store',
    reasons: [
      'proxy_ssl_verify_depth is too small for the chain (nginx stops looking past it and reports 20, not "chain too long")',
      'the upstream does not serve an intermediate CA',
      'the trust store does not hold the root the chain ends in',
    ],
    fix: `${PROBE} --save: gwctl then derives verifyDepth from the served chain and names the missing certificate; set verifyDepth to the depth the chain needs, or add the missing root to the trust store`,
    fields: [
      'upstreams.UPSTREAM.tls.verifyDepth',
      'upstreams.UPSTREAM.tls.presentedChain',
      'trustStores.STORE.certificates',
    ],
  },
  21: {
    cause:
      'the upstream served its leaf without the intermediate that issued it, and no file nginx has holds that intermediate',
    reasons: ['the upstream serves only its leaf certificate', 'the upstream serves the wrong intermediate'],
    fix: 'best: have the upstream serve its intermediate after the leaf; else add the intermediate to the trust store next to the root (the root stays: nginx accepts no partial chains)',
    fields: ['trustStores.STORE.certificates'],
  },
  23: {
    cause: "a certificate of the chain is revoked on its issuer's CRL",
    reasons: ["the upstream's certificate was revoked"],
    fix: REISSUE,
    fields: [],
  },
  26: {
    cause: 'a certificate of the chain may not be used for TLS server authentication',
    reasons: [
      "the leaf's extendedKeyUsage lacks serverAuth (a client-only certificate)",
      'an intermediate restricts extendedKeyUsage to other purposes',
      'the trust store marks the root as not trusted for serverAuth',
    ],
    fix: `${REISSUE} with extendedKeyUsage serverAuth (or without the extension)`,
    fields: [],
  },
  32: {
    cause: 'a CA of the chain has a keyUsage without keyCertSign, so it may not sign certificates',
    reasons: [
      'the CA was issued with the wrong keyUsage',
      'a leaf certificate is served where an intermediate should be',
    ],
    fix: `${REISSUE} from a CA whose keyUsage includes keyCertSign`,
    fields: [],
  },
  62: {
    cause: 'the certificate is valid but does not hold the name nginx checks (proxy_ssl_name)',
    reasons: [
      'tls.serverName differs from the names in the certificate',
      "tls.serverName is absent and nginx checks the first server's host, which the certificate does not name",
      'the name is an IP address: nginx never matches an IP against an iPAddress SAN',
    ],
    fix: 'set tls.serverName to a DNS name the certificate holds (its subjectAltName); else the upstream reissues with that name',
    fields: ['upstreams.UPSTREAM.tls.serverName'],
  },
  66: {
    cause: "the leaf's key is too small for OpenSSL's security level 2 (RSA below 2048 bits, EC below 224)",
    reasons: ['an old RSA 1024 certificate'],
    fix: `${REISSUE} with RSA 2048+ or ECDSA P-256`,
    fields: [],
  },
  67: {
    cause: "a CA's key is too small for OpenSSL's security level 2",
    reasons: ['an old RSA 1024 intermediate or root'],
    fix: `${REISSUE} under a CA with a 2048-bit RSA or P-256 key`,
    fields: ['trustStores.STORE.certificates'],
  },
  68: {
    cause: 'a certificate of the chain is signed with a digest too weak for security level 2 (SHA-1, MD5)',
    reasons: ['a SHA-1 signed leaf or intermediate'],
    fix: `${REISSUE} signed with SHA-256`,
    fields: [],
  },
  79: {
    cause: 'a certificate used as a CA in the chain is not a valid CA (basicConstraints CA:FALSE or missing)',
    reasons: [
      'a leaf certificate is served where an intermediate should be',
      'the intermediate was issued without CA:TRUE',
    ],
    fix: `${REISSUE} from a CA with basicConstraints CA:TRUE; ${PROBE}`,
    fields: [],
  },
};

export function verifyAdvice(code: number, reason: string): VerifyAdvice {
  return (
    VERIFY_ADVICE[code] ?? {
      cause: `OpenSSL rejected the upstream's chain: ${reason}`,
      reasons: [`verify error ${code} (${reason})`],
      fix: `${PROBE}: gwctl's chain engine then names the certificate and the change`,
      fields: ['upstreams.UPSTREAM.tls.presentedChain'],
    }
  );
}
