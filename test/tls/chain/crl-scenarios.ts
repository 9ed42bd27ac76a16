import type { Pki, PkiCert } from '../../support/pki.js';

const DAY = 86400_000;
/** A critical delta CRL indicator (base CRL number 1). */
const DELTA = ['2.5.29.27=critical,ASN1:INTEGER:1'];

/** One proxy_ssl_crl case: the trusted file, the chain the upstream serves and its key, the CRL file, and what nginx logs (null: accepted). */
export interface CrlScenario {
  name: string;
  trusted: string;
  chain: string;
  key: string;
  crl: string;
  expect: number | null;
}

/** The CRL scenarios (shared with the real-nginx test): name, files, and the code nginx logs (null: accepted). */
export function buildCrlScenarios(p: Pki): { scenarios: CrlScenario[]; root: PkiCert; leaf: PkiCert } {
  const root = p.root('Root CA');
  const int = p.intermediate(root, 'Issuing CA');
  const leaf = p.leaf(int, { cn: 'svc.internal', dns: ['svc.internal'] });
  const expiredLeaf = p.leaf(int, {
    cn: 'svc.internal',
    dns: ['svc.internal'],
    notBefore: new Date(Date.now() - 10 * DAY),
    notAfter: new Date(Date.now() - DAY),
  });
  const intTwin = p.intermediate(root, 'Issuing CA'); // same name, another key
  const noSign = p.intermediate(root, 'No CRLSign CA', { keyUsage: 'critical,keyCertSign' });
  const noSignLeaf = p.leaf(noSign, { cn: 'svc.internal', dns: ['svc.internal'] });
  const otherRoot = p.root('Other Root');
  const now = Date.now();
  const rootCrl = p.crl(root);
  const intCrl = p.crl(int);
  const trusted = root.cert;
  const chain = leaf.chain;
  const both = (name: string, files: string[]) => p.concat(`${name}.crls.pem`, files);
  const s = (
    name: string,
    crlFiles: string[],
    expect: number | null,
    o: { chain?: string; trusted?: string; key?: string } = {},
  ): CrlScenario => ({
    name,
    trusted: o.trusted ?? trusted,
    chain: o.chain ?? chain,
    key: o.key ?? leaf.key,
    crl: both(name.replace(/[^a-z0-9]+/gi, '-'), crlFiles),
    expect,
  });
  const scenarios = [
    s('all CRLs present and current', [rootCrl, intCrl], null),
    s('all CRLs with authorityKeyIdentifier', [p.crl(root, { akid: true }), p.crl(int, { akid: true })], null),
    s('revoked leaf', [rootCrl, p.crl(int, { revoke: [leaf] })], 23),
    s('revoked leaf, reason removeFromCRL', [rootCrl, p.crl(int, { revoke: [leaf], reason: 'removeFromCRL' })], null),
    s('another certificate revoked', [rootCrl, p.crl(int, { revoke: [expiredLeaf] })], null),
    s('revoked intermediate', [p.crl(root, { revoke: [int] }), intCrl], 23),
    s('missing root CRL', [intCrl], 3),
    s('missing intermediate CRL', [rootCrl], 3),
    s(
      'expired intermediate CRL',
      [rootCrl, p.crl(int, { lastUpdate: new Date(now - 10 * DAY), nextUpdate: new Date(now - DAY) })],
      12,
    ),
    s(
      'expired root CRL',
      [p.crl(root, { lastUpdate: new Date(now - 10 * DAY), nextUpdate: new Date(now - DAY) }), intCrl],
      12,
    ),
    s(
      'not yet valid intermediate CRL',
      [rootCrl, p.crl(int, { lastUpdate: new Date(now + DAY), nextUpdate: new Date(now + 30 * DAY) })],
      11,
    ),
    s(
      'CRL both not yet valid and expired',
      [rootCrl, p.crl(int, { lastUpdate: new Date(now + DAY), nextUpdate: new Date(now - DAY) })],
      12,
    ),
    s(
      'stale CRL beside a current one',
      [
        rootCrl,
        p.crl(int, { lastUpdate: new Date(now - 10 * DAY), nextUpdate: new Date(now - DAY), revoke: [leaf] }),
        intCrl,
      ],
      null,
    ),
    s(
      'older CRL revoking, newer not',
      [rootCrl, p.crl(int, { lastUpdate: new Date(now - 2 * DAY), revoke: [leaf] }), intCrl],
      null,
    ),
    s(
      'newer CRL revoking, older not',
      [rootCrl, p.crl(int, { lastUpdate: new Date(now - 2 * DAY) }), p.crl(int, { revoke: [leaf] })],
      23,
    ),
    s('CRL signed by the wrong key', [rootCrl, p.crl(int, { signer: intTwin })], 8),
    s('CRL signed by the wrong key, with its AKID', [rootCrl, p.crl(int, { signer: intTwin, akid: true })], 3),
    s('issuer without cRLSign', [rootCrl, p.crl(noSign)], 35, { chain: noSignLeaf.chain, key: noSignLeaf.key }),
    s('unknown critical CRL extension', [rootCrl, p.crl(int, { extensions: ['1.2.3.4=critical,ASN1:NULL'] })], 36),
    s('unknown non-critical CRL extension', [rootCrl, p.crl(int, { extensions: ['1.2.3.4=ASN1:NULL'] })], null),
    s(
      'CRL only for CA certificates checks the leaf',
      [rootCrl, p.crl(int, { extensions: ['issuingDistributionPoint=critical,@idp', '[idp]', 'onlyCA=TRUE'] })],
      3,
    ),
    s(
      'CRL only for user certificates checks the intermediate',
      [p.crl(root, { extensions: ['issuingDistributionPoint=critical,@idp', '[idp]', 'onlyuser=TRUE'] }), intCrl],
      3,
    ),
    s(
      'CRL only for user certificates checks the leaf',
      [rootCrl, p.crl(int, { extensions: ['issuingDistributionPoint=critical,@idp', '[idp]', 'onlyuser=TRUE'] })],
      null,
    ),
    s('revoked and expired leaf', [rootCrl, p.crl(int, { revoke: [expiredLeaf] })], 10, {
      chain: expiredLeaf.chain,
      key: expiredLeaf.key,
    }),
    // Unanchored, the intermediate is the top: OpenSSL checks the root's CRL against the intermediate itself.
    s('untrusted root with CRLs', [rootCrl, intCrl], 8, { trusted: otherRoot.cert }),
    s('untrusted root without the root CRL', [intCrl], 3, { trusted: otherRoot.cert }),
    s('intermediate trusted too', [rootCrl, intCrl], null, {
      trusted: p.bundle('root-int.pem', [root, int]),
      chain: p.bundle('leaf-alone.pem', [leaf]),
    }),
    s('CRL of the other root only', [p.crl(otherRoot)], 3),
    // OpenSSL 3.0 (3.0.22 here) never scores a delta CRL: the base decides, and a delta alone is
    // no CRL at all (3).
    s(
      'delta CRL revoking, newer than the base',
      [rootCrl, intCrl, p.crl(int, { revoke: [leaf], lastUpdate: new Date(now - 600_000), extensions: DELTA })],
      null,
    ),
    s('delta CRL alone, revoking', [rootCrl, p.crl(int, { revoke: [leaf], extensions: DELTA })], 3),
    s(
      'delta CRL not revoking, newer than a revoking base',
      [rootCrl, p.crl(int, { revoke: [leaf], lastUpdate: new Date(now - 2 * DAY) }), p.crl(int, { extensions: DELTA })],
      23,
    ),
  ];
  return { scenarios, root, leaf };
}
