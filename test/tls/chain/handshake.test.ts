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

function verdictFor(leaf: PkiCert) {
  return verifyChain({
    presented: sources(leaf.chain),
    trusted: sources(root.cert),
    depth: 1,
    name: 'svc.internal',
    at: new Date(),
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

test('a leaf whose keyUsage lacks digitalSignature fails the handshake', () => {
  const v = verdictFor(
    pki.leaf(root, { cn: 'svc.internal', dns: ['svc.internal'], keyUsage: 'critical,keyEncipherment' }),
  );
  assert.equal(v.ok, false);
  assert.ok(v.findings.some((x) => x.code === 'chain.handshake-fails' && /digitalSignature/.test(x.message)));
  const near = verdictFor(
    pki.leaf(root, { cn: 'svc.internal', dns: ['svc.internal'], keyUsage: 'critical,digitalSignature' }),
  );
  assert.equal(near.ok, true, JSON.stringify(near.findings));
});
