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
 * `protocols` undefined: unknown, so TLS 1.2 may be negotiated (nginx 1.22's default offers no
 * TLSv1.3 upstream): a TLS 1.2-only failure is predicted.
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

/**
 * The strongest the server's side of the handshake can be with this leaf key, in security bits
 * as OpenSSL rates it at a security level. An EC key is bound to its curve both ways: TLS 1.3
 * signs with the curve's own hash only (P-256 with SHA-256), and in TLS 1.2 a server may use an
 * ECDSA certificate only on a curve the client offers as a group (P-256 is 128 bits, so nginx
 * leaves it out at level 4: measured, the TLS 1.2 handshake fails too). Otherwise the best
 * signature algorithm counts (sigalg_security_bits(): half the digest; Ed25519 128, Ed448 224);
 * RSA-PSS needs the digest twice plus 2 bytes in the modulus, PKCS#1 v1.5 (TLS 1.2) 19 + digest + 11.
 */
function strongestHandshakeBits(key: ChainCert['key'], tls13: boolean): number | null {
  if (!key) return null;
  switch (key.family) {
    case 'ec':
      return key.curve === 'secp521r1'
        ? 256
        : key.curve === 'secp384r1'
          ? 192
          : key.curve === 'prime256v1'
            ? 128
            : null;
    case 'ed25519':
      return 128;
    case 'ed448':
      return 224;
    case 'rsa':
    case 'rsa-pss': {
      const bytes = Math.ceil((key.sizeBits - 1) / 8);
      const fits = (digest: number) => bytes >= (tls13 ? 2 * digest + 2 : 19 + digest + 11);
      return fits(64) ? 256 : fits(48) ? 192 : fits(32) ? 128 : 0;
    }
    default:
      return null;
  }
}

/**
 * Why the handshake fails at this security level before anything is verified: nginx offers only
 * groups and signature algorithms of at least the level's strength (tls1_group_id_allowed(),
 * tls12_sigalg_allowed()), and a server whose key fits none of them ends the handshake (alert
 * 40). For the keys TLS uses only levels 4 and 5 go that far (EC P-256 at 4, P-384 at 5).
 */
export function securityLevelHandshakeProblem(
  leaf: ChainCert,
  level: number,
  minBits: number,
  tls13: boolean,
): string | null {
  if (minBits <= 0) return null;
  const best = strongestHandshakeBits(leaf.key, tls13);
  if (best === null || best >= minBits) return null;
  const what =
    leaf.key?.family === 'ec'
      ? `its key is on ${leaf.key.sizeBits === 256 ? 'P-256' : `P-${leaf.key.sizeBits}`} (${best}-bit), which nginx then neither offers as a group (TLS 1.2) nor signs with (TLS 1.3)`
      : `its ${leaf.key?.family.toUpperCase()} key signs with at most ${best}-bit strength`;
  return `the upstream's ciphers set @SECLEVEL=${level}, so nginx offers only groups and signature algorithms of ${minBits}-bit strength or more, and ${what}: the upstream has no certificate it may use and ends the handshake (alert 40). Lower the level, or give the upstream a ${minBits > 192 ? 'P-521' : 'P-384 or P-521'} key`;
}
