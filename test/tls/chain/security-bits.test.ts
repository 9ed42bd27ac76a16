import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ifcSecurityBits } from '../../../src/tls/chain/security-bits.js';
import { opensslRsaSecurityBits } from '../../support/openssl-reference.js';

/**
 * ossl_ifc_ffc_compute_security_bits() against libcrypto itself: RSA_security_bits() of every
 * modulus size from 512 to 16384 bits, measured now by the reference program. The fixed-point
 * formula differs from floating point at a handful of sizes (1962 bits is 104, not 112).
 */
test('RSA security bits agree with libcrypto for every modulus size 512..16384', () => {
  const measured = opensslRsaSecurityBits(512, 16384);
  const wrong = Object.entries(measured)
    .filter(([n, bits]) => ifcSecurityBits(Number(n)) !== bits)
    .map(([n, bits]) => `${n}: gwctl ${ifcSecurityBits(Number(n))}, libcrypto ${bits}`);
  assert.deepEqual(wrong, []);
  assert.equal(measured['1962'], 104, 'the size the review found');
});

test('the special cases outside the measured range', () => {
  assert.equal(ifcSecurityBits(7), 0);
  assert.equal(ifcSecurityBits(687737), 1200);
  assert.equal(ifcSecurityBits(20000), opensslRsaSecurityBits(20000, 20000)['20000']);
});
