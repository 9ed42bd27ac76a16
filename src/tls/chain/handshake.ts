import { KU } from './extensions.js';
import type { ChainCert } from './types.js';

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
const OFFERED_ECDSA_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);
/** Key types that serve TLS only by signing (no key transport): their keyUsage must allow digitalSignature. */
const SIGNING_ONLY = new Set(['ec', 'ed25519', 'ed448']);
const CURVE_NAMES: Record<string, string> = { prime192v1: 'P-192', secp224r1: 'P-224', secp256k1: 'secp256k1' };

/**
 * The curve of an ECDSA key that TLS cannot sign with (none of P-256, P-384, P-521), as people
 * name it; null for any other key. The same holds for nginx's client certificate: the upstream
 * accepts client ECDSA signatures only on those curves.
 */
export function unofferedCurve(key: ChainCert['key']): string | null {
  if (key?.family !== 'ec' || key.explicitCurve || !key.curve || OFFERED_ECDSA_CURVES.has(key.curve)) return null;
  return CURVE_NAMES[key.curve] ?? key.curve;
}

/** Why the handshake cannot complete, and whether offering TLSv1.3 would let it. */
export interface HandshakeProblem {
  reason: string;
  /** TLSv1.3 would complete it (the upstream must support TLSv1.3 too). */
  tls13Helps: boolean;
}

/**
 * Why the handshake cannot complete with this leaf under these proxy_ssl_protocols, or null.
 * `protocols` undefined: nginx 1.22's default (TLSv1 TLSv1.1 TLSv1.2, no TLSv1.3).
 */
export function handshakeProblem(leaf: ChainCert, protocols?: readonly string[]): HandshakeProblem | null {
  const reason = problemOf(leaf, protocols?.includes('TLSv1.3') ?? false);
  if (reason === null) return null;
  return { reason, tls13Helps: problemOf(leaf, true) === null };
}

function problemOf(leaf: ChainCert, tls13: boolean): string | null {
  const key = leaf.key;
  const curve = unofferedCurve(key);
  if (curve) {
    return `its key is on curve ${curve}, and nginx (OpenSSL 3.0) offers ECDSA only on P-256, P-384 and P-521: no certificate the upstream holds can be used, so the handshake fails (alert 40). Reissue it on P-256 or P-384, or RSA 2048+`;
  }
  if (key?.family === 'dsa') {
    // nginx's default proxy_ssl_ciphers (DEFAULT) has no DSS suite, and TLS 1.3 has no DSA signatures.
    return `its key is DSA (${key.sizeBits} bits), and nginx (OpenSSL 3.0) offers no cipher suite a DSA certificate can serve, in TLS 1.2 (its default cipher list has no DSS suite) or TLS 1.3 (no DSA signatures): the handshake fails. Reissue it with an ECDSA P-256/P-384 or RSA 2048+ key`;
  }
  // Only ECDSA and EdDSA: OpenSSL's TLS 1.2 server offers an ECDSA/EdDSA certificate only when its
  // keyUsage allows digitalSignature (ssl_set_cert_masks()); neither side checks an RSA key's
  // keyUsage, so nginx then verifies (and logs 26 only when keyUsage allows none of
  // digitalSignature, keyEncipherment, keyAgreement). Measured: test/e2e/handshake-matrix.test.ts.
  // TLS 1.2 only: under TLS 1.3 neither side looks at it, and nginx accepts the upstream.
  const signingOnly = SIGNING_ONLY.has(key?.family ?? '');
  if (!tls13 && signingOnly && leaf.ex.keyUsage !== null && !(leaf.ex.keyUsage & KU.DIGITAL_SIGNATURE)) {
    return `its ${key?.family === 'ec' ? 'ECDSA' : key?.family === 'ed25519' ? 'Ed25519' : 'Ed448'} key may only sign, and its keyUsage lacks digitalSignature: under TLS 1.2 the upstream's OpenSSL then offers no cipher suite for it (no shared cipher), so the handshake fails (alert 40); under TLS 1.3 nobody checks it. Add TLSv1.3 to protocols (the upstream must support it), or reissue the certificate with keyUsage digitalSignature`;
  }
  return null;
}
