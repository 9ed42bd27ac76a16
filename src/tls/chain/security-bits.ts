/**
 * ossl_ifc_ffc_compute_security_bits() of OpenSSL 3.0 (crypto/rsa/rsa_lib.c), ported bit for bit:
 * its 2^18 fixed-point arithmetic rounds differently from floating point (an RSA-1962 key is 104
 * bits there, 112 in floating point), so the uint64 steps are replayed with BigInt.
 */
const SCALE = 1n << 18n;
const CBRT_SCALE = 1n << 12n;
const LOG_2 = 0x02c5c8n; // scale * ln(2)
const LOG_E = 0x05c551n; // scale * log2(e)
const C1_923 = 0x07b126n;
const C4_690 = 0x12c28fn;
const U64 = (1n << 64n) - 1n;

const mul2 = (a: bigint, b: bigint): bigint => ((a * b) & U64) / SCALE;

function icbrt64(x: bigint): bigint {
  let r = 0n;
  for (let s = 63n; s >= 0n; s -= 3n) {
    r = (r << 1n) & U64;
    const b = (3n * r * (r + 1n) + 1n) & U64;
    if (x >> s >= b) {
      x = (x - ((b << s) & U64)) & U64;
      r++;
    }
  }
  return (r * CBRT_SCALE) & U64;
}

function ilogE(v: bigint): bigint {
  let r = 0n;
  while (v >= 2n * SCALE) {
    v >>= 1n;
    r += SCALE;
  }
  for (let i = SCALE / 2n; i !== 0n; i /= 2n) {
    v = mul2(v, v);
    if (v >= 2n * SCALE) {
      v >>= 1n;
      r += i;
    }
  }
  return ((r * SCALE) / LOG_E) & 0xffffffffn; // uint32_t
}

/** The canonical values OpenSSL returns before the formula (SP 800-56B, FIPS 140 IG 7.5). */
const CANONICAL: Record<number, number> = {
  2048: 112,
  3072: 128,
  4096: 152,
  6144: 176,
  7680: 192,
  8192: 200,
  15360: 256,
};

/** RSA (and finite-field) strength of an n-bit modulus, as EVP_PKEY_get_security_bits() reports it. */
export function ifcSecurityBits(n: number): number {
  if (CANONICAL[n] !== undefined) return CANONICAL[n];
  if (n >= 687737) return 1200;
  if (n < 8) return 0;
  const cap = n <= 7680 ? 192 : n <= 15360 ? 256 : 1200;
  const x = BigInt(n) * LOG_2;
  const lx = ilogE(x);
  // uint64 subtraction and division, then the uint16_t cast.
  const y = Number((((mul2(C1_923, icbrt64(mul2(mul2(x, lx), lx))) - C4_690) & U64) / LOG_2) & 0xffffn);
  return Math.min((y + 4) & ~7 & 0xffff, cap);
}
