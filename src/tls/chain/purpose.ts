import { KU, NS, XKU } from './certificate.js';
import type { ChainCert } from './types.js';

/**
 * check_ca(): 0 not a CA, 1 CA by basicConstraints, 3 v1 self-signed root, 4 keyUsage with
 * keyCertSign but no basicConstraints, 5 Netscape CA type. X509_check_ca() is 0 for invalid certs.
 */
export function checkCa(x: ChainCert): number {
  if (x.ex.invalid) return 0;
  const ex = x.ex;
  if (ex.keyUsage !== null && (ex.keyUsage & KU.KEY_CERT_SIGN) === 0) return 0;
  if (ex.bcons) return ex.ca ? 1 : 0;
  if (ex.v1 && ex.selfSigned) return 3;
  if (ex.keyUsage !== null) return 4;
  if (ex.nsCertType !== null && (ex.nsCertType & NS.ANY_CA) !== 0) return 5;
  return 0;
}

/** What went wrong with a purpose, for messages; null when the purpose is fine. */
export type PurposeProblem = 'eku' | 'key-usage' | 'ns-cert-type' | 'not-ca' | null;

/** X509_check_purpose(x, SSL_SERVER, requireCa) < 0 (invalid cert) counts as acceptable without X509_STRICT. */
export function sslServerPurposeProblem(x: ChainCert, requireCa: boolean): PurposeProblem {
  return purposeProblem(
    x,
    requireCa,
    XKU.SSL_SERVER | XKU.SGC,
    NS.SSL_SERVER,
    KU.DIGITAL_SIGNATURE | KU.KEY_ENCIPHERMENT | KU.KEY_AGREEMENT,
  );
}

/** The same for a TLS client certificate (check_purpose_ssl_client). */
export function sslClientPurposeProblem(x: ChainCert, requireCa: boolean): PurposeProblem {
  return purposeProblem(x, requireCa, XKU.SSL_CLIENT, NS.SSL_CLIENT, KU.DIGITAL_SIGNATURE | KU.KEY_AGREEMENT);
}

function purposeProblem(x: ChainCert, requireCa: boolean, xku: number, ns: number, ku: number): PurposeProblem {
  if (x.ex.invalid) return null;
  const ex = x.ex;
  if (ex.extKeyUsage !== null && (ex.extKeyUsage & xku) === 0) return 'eku';
  if (requireCa) {
    const ca = checkCa(x);
    if (ca === 0) return 'not-ca';
    return ca !== 5 || (ex.nsCertType! & NS.SSL_CA) !== 0 ? null : 'ns-cert-type';
  }
  if (ex.nsCertType !== null && (ex.nsCertType & ns) === 0) return 'ns-cert-type';
  if (ex.keyUsage !== null && (ex.keyUsage & ku) === 0) return 'key-usage';
  return null;
}
