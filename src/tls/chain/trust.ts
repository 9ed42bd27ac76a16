import { children, contentOf, isContext, oidText, parseBer, tagOf, TAG, type Node } from './asn1.js';

import { OID } from './certificate.js';
import type { ChainCert, TrustAux, TrustResult } from './types.js';

/** d2i_X509_AUX(): the certificate's own DER and the aux after it (null when nothing follows). */
export function splitTrustedBlock(der: Buffer): { cert: Buffer; aux: TrustAux | null } | { error: string } {
  let first: Node;
  try {
    first = parseBer(der);
  } catch {
    return { cert: der, aux: null }; // the certificate parser reports it
  }
  const cert = der.subarray(0, first.end);
  const rest = der.subarray(first.end);
  if (rest.length === 0) return { cert, aux: null };
  let auxNode: Node;
  try {
    auxNode = parseBer(rest);
  } catch {
    auxNode = first;
  }
  if (auxNode === first || tagOf(auxNode) !== TAG.SEQUENCE)
    return { error: 'its trust settings after the certificate (X509_CERT_AUX) are malformed' };
  const aux: TrustAux = { trust: null, reject: null };
  const oids = (n: Node): string[] | null => {
    const list = children(n);
    if (!list.every((o) => tagOf(o) === TAG.OID)) return null;
    return list.map((o) => oidText(contentOf(o)));
  };
  try {
    for (const field of children(auxNode)) {
      if (tagOf(field) === TAG.SEQUENCE && aux.trust === null && aux.reject === null) aux.trust = oids(field);
      else if (isContext(field, 0) && field.constructed) aux.reject = oids(field);
    }
  } catch {
    return { error: 'its trust settings after the certificate (X509_CERT_AUX) are malformed' };
  }
  return { cert, aux };
}

/**
 * X509_check_trust(x, X509_TRUST_SSL_SERVER, flags): trust_1oidany(NID_server_auth) → obj_trust()
 * with X509_TRUST_DO_SS_COMPAT | X509_TRUST_OK_ANY_EKU. A rejected serverAuth or anyEKU rejects;
 * a trust list trusts when it holds either, and rejects otherwise (even an empty list); without
 * lists, trust_compat() trusts a valid self-signed certificate, unless `noSsCompat` (what
 * check_purpose() passes, X509_TRUST_NO_SS_COMPAT).
 */
export function sslServerTrust(x: ChainCert, aux: TrustAux | undefined, noSsCompat: boolean): TrustResult {
  const matches = (oid: string) => oid === OID.serverAuth || oid === OID.anyExtendedKeyUsage;
  if (aux?.reject?.some(matches)) return 'rejected';
  if (aux?.trust) return aux.trust.some(matches) ? 'trusted' : 'rejected';
  if (noSsCompat) return 'untrusted';
  return !x.ex.invalid && x.ex.selfSigned ? 'trusted' : 'untrusted';
}

/** Short names of purposes, for messages. */
export function purposeNames(oids: string[]): string {
  const names: Record<string, string> = {
    [OID.serverAuth]: 'serverAuth',
    [OID.clientAuth]: 'clientAuth',
    [OID.anyExtendedKeyUsage]: 'anyExtendedKeyUsage',
    '1.3.6.1.5.5.7.3.3': 'codeSigning',
    '1.3.6.1.5.5.7.3.4': 'emailProtection',
    '1.3.6.1.5.5.7.3.8': 'timeStamping',
    '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  };
  return oids.length === 0 ? 'nothing' : oids.map((o) => names[o] ?? o).join(', ');
}
