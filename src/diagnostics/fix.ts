/**
 * A fix gwctl advises, in a form a program can apply: which spec field changes, how, and with
 * which certificate. The finding's message says the same in words; `test/tls/chain/fixes.test.ts`
 * applies every fix mechanically to every differential scenario and verifies again.
 */

/** A certificate gwctl holds: its subject (RFC 2253) and the SHA-256 of its DER, which tells twins apart. */
export interface CertRef {
  subject: string;
  sha256: string;
}

/** The spec fields a fix changes (per upstream: `upstreams.NAME.tls.*`, the trust store's `certificates`). */
export type FixField = 'verifyDepth' | 'presentedChain' | 'trustStore' | 'serverName' | 'protocols' | 'crl';

export type FixStep =
  /** Set `verifyDepth` (proxy_ssl_verify_depth) to `value`. */
  | { kind: 'set-verify-depth'; field: 'verifyDepth'; value: number }
  /** Serve the chain in exactly this order (leaf first); certificates not listed are left out. */
  | { kind: 'reorder-chain'; field: 'presentedChain'; order: CertRef[] }
  /**
   * Add the certificate that issued `of` and each CA above it: up to, not including, the
   * self-signed root (`upTo: 'intermediates'`, what a server serves after its leaf), or the
   * root too (`upTo: 'root'`, what a trust store needs: nginx accepts no partial chains).
   */
  | {
      kind: 'add-issuers';
      field: 'presentedChain' | 'trustStore';
      of: CertRef;
      /** The subject of the first certificate to add (the issuer `of` names). */
      issuer: string;
      upTo: 'intermediates' | 'root';
    }
  /** Add this certificate itself (e.g. pin a self-signed leaf, trust a served root). */
  | { kind: 'add-certificate'; field: 'presentedChain' | 'trustStore'; certificate: CertRef }
  /** Remove this certificate (e.g. a same-name twin of the real issuer). */
  | { kind: 'remove-certificate'; field: 'presentedChain' | 'trustStore'; certificate: CertRef }
  /** Keep the certificate in the trust store as a plain CERTIFICATE block (drop its TRUSTED CERTIFICATE settings). */
  | { kind: 'drop-trust-settings'; field: 'trustStore'; certificate: CertRef }
  /**
   * Add to the trust store's CRL file (`crl`, proxy_ssl_crl) the current CRL of the CA that issued
   * `of` (the CA itself for a self-signed root), signed with that CA's key and covering `of`.
   * Only the CA can issue it: gwctl cannot make a CRL; the user fetches the one the CA publishes.
   */
  | { kind: 'add-crl'; field: 'crl'; of: CertRef; issuer: string }
  /** Like `add-crl`, and first remove every CRL named `issuer` from the file (an expired, early or bad one). */
  | { kind: 'replace-crl'; field: 'crl'; of: CertRef; issuer: string }
  /** Add `value` to `protocols` (proxy_ssl_protocols); the upstream must support it too. */
  | { kind: 'add-protocol'; field: 'protocols'; value: 'TLSv1.3' }
  /** Set `serverName` to one of the names the certificate holds (`*` stands for any one label). */
  | { kind: 'set-server-name'; field: 'serverName'; names: string[] }
  /**
   * Nothing in the spec fixes it: the certificate must be reissued or renewed, or the upstream
   * must serve another one. `certificate` is the one to replace (null: the upstream's leaf).
   */
  | { kind: 'outside-spec'; action: 'reissue' | 'renew'; certificate: CertRef | null; reason: string };

/** What a finding advises: steps applied together; `alternative` is another way that works on its own. */
export interface Fix {
  steps: FixStep[];
  alternative?: FixStep[];
}
