import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyChain } from '../../../src/tls/chain/index.js';
import { makePki, type Pki, type PkiCert } from '../../support/pki.js';
import { sources } from './harness.js';

// Real nginx agrees with each of these (test/e2e/chain-differential.test.ts); here: trigger and near miss.
let pki: Pki;
let root: PkiCert;

before(async () => {
  pki = await makePki(join(mkdtempSync(join(tmpdir(), 'gwctl-handshake-')), 'pki'));
  root = pki.root('Root CA');
});

function verdictFor(leaf: PkiCert, protocols?: string[]) {
  return verifyChain({
    presented: sources(leaf.chain),
    trusted: sources(root.cert),
    depth: 1,
    name: 'svc.internal',
    at: new Date(),
    protocols,
  });
}

test('an ECDSA leaf on a curve nginx does not offer fails the handshake, not verification', () => {
  const v = verdictFor(pki.leaf(root, { cn: 'svc.internal', dns: ['svc.internal'], key: 'ec-p224' }));
  assert.equal(v.ok, false);
  assert.equal(v.nginx, null, 'nginx logs no verify error');
  assert.equal(v.verified, null, 'the chain itself would verify');
  const f = v.findings.find((x) => x.code === 'chain.handshake-fails');
  assert.ok(f);
  assert.match(f.message, /P-224/);
  const near = verdictFor(pki.leaf(root, { cn: 'svc.internal', dns: ['svc.internal'], key: 'ec-p384' }));
  assert.equal(near.ok, true, JSON.stringify(near.findings));
});

test('an ECDSA leaf whose keyUsage lacks digitalSignature fails the handshake under TLS 1.2 only', () => {
  const leaf = pki.leaf(root, { cn: 'svc.internal', dns: ['svc.internal'], keyUsage: 'critical,keyAgreement' });
  for (const protocols of [undefined, ['TLSv1.2']]) {
    const v = verdictFor(leaf, protocols);
    assert.deepEqual(
      [v.ok, v.nginx, v.verified, v.findings.map((f) => f.code)],
      [false, null, null, ['chain.handshake-fails']],
    );
    assert.match(v.findings[0].message, /ECDSA key may only sign, and its keyUsage lacks digitalSignature/);
    assert.deepEqual(v.findings[0].fix?.steps, [{ kind: 'add-protocol', field: 'protocols', value: 'TLSv1.3' }]);
  }
  // Near misses: TLS 1.3 offered; digitalSignature present.
  const v13 = verdictFor(leaf, ['TLSv1.2', 'TLSv1.3']);
  assert.deepEqual([v13.ok, v13.findings.filter((f) => f.severity === 'error')], [true, []]);
  const near = verdictFor(
    pki.leaf(root, { cn: 'svc.internal', dns: ['svc.internal'], keyUsage: 'critical,digitalSignature' }),
  );
  assert.equal(near.ok, true, JSON.stringify(near.findings));
});

test('an RSA leaf without digitalSignature completes the handshake (nobody checks an RSA keyUsage)', () => {
  const v = verdictFor(
    pki.leaf(root, {
      cn: 'svc.internal',
      dns: ['svc.internal'],
      key: 'rsa-2048',
      keyUsage: 'critical,keyEncipherment',
    }),
  );
  assert.deepEqual([v.ok, v.nginx, v.findings.filter((f) => f.severity === 'error')], [true, null, []]);
});

test('a DSA leaf fails the handshake under TLS 1.2 and TLS 1.3: only reissuing helps', () => {
  const leaf = pki.leaf(root, { cn: 'svc.internal', dns: ['svc.internal'], key: 'dsa-2048' });
  for (const protocols of [undefined, ['TLSv1.2', 'TLSv1.3']]) {
    const v = verdictFor(leaf, protocols);
    assert.deepEqual([v.ok, v.nginx, v.findings.map((f) => f.code)], [false, null, ['chain.handshake-fails']]);
    assert.deepEqual(
      v.findings[0].fix?.steps.map((s) => s.kind),
      ['outside-spec'],
    );
  }
});
