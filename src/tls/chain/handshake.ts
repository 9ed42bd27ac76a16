import type { ChainCert } from './certificate.js';

/**
 * Leaf certificates that make the TLS handshake itself fail, before nginx verifies anything:
 * nginx then logs `SSL_do_handshake() failed (… handshake failure …)`, not a verify error.
 * Measured on real nginx 1.22.1 / OpenSSL 3.0 (test/e2e/chain-differential.test.ts).
 */

/**
 * ECDSA curves OpenSSL 3.0's client offers by default (its groups are X25519, P-256, X448, P-521,
 * P-384; TLS 1.3 defines ECDSA signatures on P-256, P-384 and P-521 only). A server holding a key
 * on any other curve has no certificate it may present.
 */
export const OFFERED_ECDSA_CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
export const CURVE_NAMES: Record<string, string> = { prime192v1: 'P-192', secp224r1: 'P-224', secp256k1: 'secp256k1' };

/** X509v3_KU_DIGITAL_SIGNATURE as OpenSSL packs keyUsage. */
const KU_DIGITAL_SIGNATURE = 0x0080;

/** Why the handshake cannot complete with this leaf, or null. */
export function handshakeProblem(leaf: ChainCert): string | null {
  const key = leaf.key;
  if (key?.family === 'ec' && !key.explicitCurve && key.curve && !(key.curve in OFFERED_ECDSA_CURVES)) {
    return `its key is on curve ${CURVE_NAMES[key.curve] ?? key.curve}, and nginx (OpenSSL 3.0) offers ECDSA only on P-256, P-384 and P-521: no certificate the upstream holds can be used, so the handshake fails (alert 40). Reissue it on P-256 or P-384, or RSA 2048+`;
  }
  if (key?.family === 'dsa') {
    // nginx's default proxy_ssl_ciphers (DEFAULT) has no DSS suite, and TLS 1.3 has no DSA signatures.
    return `its key is DSA (${key.sizeBits} bits), and nginx (OpenSSL 3.0) offers no cipher suite a DSA certificate can serve, in TLS 1.2 (its default cipher list has no DSS suite) or TLS 1.3 (no DSA signatures): the handshake fails. Reissue it with an ECDSA P-256/P-384 or RSA 2048+ key`;
  }
  if (leaf.ex.keyUsage !== null && !(leaf.ex.keyUsage & KU_DIGITAL_SIGNATURE)) {
    return 'its keyUsage lacks digitalSignature, which the (EC)DHE and TLS 1.3 handshakes nginx negotiates need to sign with the key: the handshake fails (alert 40). Reissue it with keyUsage digitalSignature (and keyEncipherment for RSA)';
  }
  return null;
}
