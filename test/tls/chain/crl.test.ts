import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { makePki, type Pki, type PkiCert } from '../../support/pki.js';
import { buildCrlScenarios, type CrlScenario } from './crl-scenarios.js';
import { verifyChain } from '../../../src/tls/chain/index.js';
import type { ChainVerdict } from '../../../src/tls/verdict.js';
import { compare, crlSources, sources } from './harness.js';

/**
 * proxy_ssl_crl: nginx loads the CRL file into the store and sets X509_V_FLAG_CRL_CHECK |
 * X509_V_FLAG_CRL_CHECK_ALL. Each scenario is compared with libcrypto run with exactly that
 * (result, code, built chain and the whole callback trace), then the findings are checked.
 */
const DAY = 86400_000;
let pki: Pki;
let root: PkiCert, leaf: PkiCert;
const scenarios: CrlScenario[] = [];

before(async () => {
  pki = await makePki(join(mkdtempSync(join(tmpdir(), 'gwctl-crl-')), 'pki'));
  const built = buildCrlScenarios(pki);
  scenarios.push(...built.scenarios);
  ({ root, leaf } = built);
});

after(() => rmSync(dirname(pki.dir), { recursive: true, force: true }));

const codes = (v: ChainVerdict) => v.findings.map((f) => f.code);
function verdictOf(sc: CrlScenario, depth = 100): ChainVerdict {
  return verifyChain({
    presented: sources(sc.chain),
    trusted: sources(sc.trusted),
    crls: crlSources(sc.crl),
    depth,
    name: 'svc.internal',
    at: new Date(),
    trustStoreName: 'internal',
  });
}
const byName = (n: string) => scenarios.find((s) => s.name === n)!;

test('every CRL scenario, at depths 0, 1 and 100: gwctl agrees with libcrypto on the code, the chain and the whole trace', (t) => {
  const disagreements: string[] = [];
  let runs = 0;
  for (const sc of scenarios) {
    for (const depth of [0, 1, 100]) {
      const c = compare(
        `${sc.name} (depth ${depth})`,
        sc.trusted,
        sc.chain,
        depth,
        'svc.internal',
        new Date(),
        {},
        sc.crl,
      );
      runs++;
      if (c.reference.loadError) {
        disagreements.push(`${c.label}: libcrypto could not load ${c.reference.loadError}`);
        continue;
      }
      const same =
        c.gwctl.code === c.openssl.code &&
        JSON.stringify(c.gwctl.seen) === JSON.stringify(c.openssl.seen) &&
        JSON.stringify(c.gwctl.chain) === JSON.stringify(c.openssl.chain);
      if (!same)
        disagreements.push(
          `${c.label}: libcrypto ${c.openssl.code} ${JSON.stringify(c.openssl.seen)}, gwctl ${c.gwctl.code} ${JSON.stringify(c.gwctl.seen)}`,
        );
      if (depth === 100 && c.openssl.code !== sc.expect)
        disagreements.push(`${c.label}: the scenario means ${sc.expect}, libcrypto gives ${c.openssl.code}`);
    }
  }
  t.diagnostic(`CRL differential: ${runs - disagreements.length}/${runs} agree`);
  assert.deepEqual(disagreements, []);
});

test('without proxy_ssl_crl nothing changes: the same chains verify', () => {
  const v = verifyChain({
    presented: sources(leaf.chain),
    trusted: sources(root.cert),
    depth: 100,
    name: 'svc.internal',
    at: new Date(),
  });
  assert.equal(v.ok, true);
});

describe('findings', () => {
  test('missing root CRL: the root needs a CRL it signed itself', () => {
    const v = verdictOf(byName('missing root CRL'));
    assert.deepEqual(v.nginx, { code: 3, reason: 'unable to get certificate CRL' });
    const f = v.findings.find((x) => x.code === 'chain.crl-missing' && x.message.includes('(depth 2)'))!;
    assert.match(
      f.message,
      /the CRL file of trust store 'internal' holds no CRL from 'CN=Root CA', so 'CN=Root CA' \(depth 2\) cannot be checked; with proxy_ssl_crl nginx checks every certificate of the chain, the self-signed root included \(it needs a CRL it signed itself\): add the current CRL of 'CN=Root CA' to that file \(only the CA can issue a CRL: fetch the one it publishes\); nginx will log \(3:unable to get certificate CRL\)/,
    );
    assert.deepEqual(
      f.fix?.steps.map((x) => x.kind === 'add-crl' && [x.field, x.of.subject, x.issuer]),
      [['crl', 'CN=Root CA', 'CN=Root CA']],
    );
  });
  test('near miss: with the root CRL too, the chain verifies', () => {
    const v = verdictOf(byName('all CRLs present and current'));
    assert.equal(v.ok, true);
    assert.ok(!codes(v).some((c) => c.startsWith('chain.crl')), JSON.stringify(v.findings));
  });
  test('missing intermediate CRL', () => {
    const v = verdictOf(byName('missing intermediate CRL'));
    assert.match(
      v.findings.find((x) => x.code === 'chain.crl-missing')!.message,
      /holds no CRL from 'CN=Issuing CA', so 'CN=svc.internal' \(depth 0\)/,
    );
  });
  test('revoked leaf, and the near miss removeFromCRL', () => {
    const v = verdictOf(byName('revoked leaf'));
    assert.deepEqual(v.nginx, { code: 23, reason: 'certificate revoked' });
    const f = v.findings.find((x) => x.code === 'chain.revoked')!;
    assert.match(
      f.message,
      /'CN=svc.internal' \(depth 0, serial 0x[0-9A-F]+\) is revoked by the CRL of 'CN=Issuing CA': reissue 'CN=svc.internal' and have the upstream serve the new certificate/,
    );
    assert.deepEqual(
      f.fix?.steps.map((x) => x.kind === 'outside-spec' && [x.action, x.certificate?.subject]),
      [['reissue', 'CN=svc.internal']],
    );
    assert.match(f.file ?? '', /crls\.pem$/);
    assert.equal(verdictOf(byName('revoked leaf, reason removeFromCRL')).ok, true);
    assert.equal(verdictOf(byName('another certificate revoked')).ok, true);
  });
  test('revoked intermediate', () => {
    const v = verdictOf(byName('revoked intermediate'));
    assert.match(
      v.findings.find((x) => x.code === 'chain.revoked')!.message,
      /'CN=Issuing CA' \(depth 1, .*revoked by the CRL of 'CN=Root CA': reissue 'CN=Issuing CA' and have the upstream serve a chain through the new CA certificate/,
    );
  });
  test('expired and not-yet-valid CRLs; near miss: a current CRL beside a stale one wins', () => {
    const expired = verdictOf(byName('expired intermediate CRL')).findings.find((x) => x.code === 'chain.crl-expired')!;
    assert.deepEqual(
      expired.fix?.steps.map((x) => x.kind === 'replace-crl' && [x.field, x.of.subject, x.issuer]),
      [['crl', 'CN=svc.internal', 'CN=Issuing CA']],
    );
    assert.match(
      expired.message,
      /the CRL of 'CN=Issuing CA' \(checked for 'CN=svc.internal', depth 0\) expired at its nextUpdate .*Z: replace it in the CRL file of trust store 'internal' with the current CRL of 'CN=Issuing CA'/,
    );
    assert.match(
      verdictOf(byName('not yet valid intermediate CRL')).findings.find((x) => x.code === 'chain.crl-not-yet-valid')!
        .message,
      /is not valid before its lastUpdate/,
    );
    assert.equal(verdictOf(byName('stale CRL beside a current one')).ok, true);
  });
  test('wrong key: signature failure, or no CRL at all when its AKID names the other key', () => {
    assert.match(
      verdictOf(byName('CRL signed by the wrong key')).findings.find((x) => x.code === 'chain.crl-bad-signature')!
        .message,
      /does not verify with the key of 'CN=Issuing CA' in the chain/,
    );
    assert.match(
      verdictOf(byName('CRL signed by the wrong key, with its AKID')).findings.find(
        (x) => x.code === 'chain.crl-missing',
      )!.message,
      /authorityKeyIdentifier does not match/,
    );
  });
  test('issuer without cRLSign; near miss: the default CA keyUsage has it', () => {
    assert.match(
      verdictOf(byName('issuer without cRLSign')).findings.find((x) => x.code === 'chain.crl-issuer-key-usage')!
        .message,
      /'CN=No CRLSign CA' signed the CRL of 'CN=No CRLSign CA' .*lacks cRLSign/,
    );
    assert.ok(!codes(verdictOf(byName('all CRLs present and current'))).includes('chain.crl-issuer-key-usage'));
  });
  test('unknown critical CRL extension; near miss: non-critical', () => {
    assert.ok(
      codes(verdictOf(byName('unknown critical CRL extension'))).includes('chain.crl-unhandled-critical-extension'),
    );
    assert.equal(verdictOf(byName('unknown non-critical CRL extension')).ok, true);
  });
  test('scope: 44, then 3 because no CRL in scope is left', () => {
    const v = verdictOf(byName('CRL only for CA certificates checks the leaf'));
    assert.ok(codes(v).includes('chain.crl-scope'));
    assert.deepEqual(v.nginx, { code: 3, reason: 'unable to get certificate CRL' });
    assert.equal(verdictOf(byName('CRL only for user certificates checks the leaf')).ok, true);
  });
  test('revocation comes before internal_verify: a revoked, expired leaf is logged as expired', () => {
    const v = verdictOf(byName('revoked and expired leaf'));
    assert.equal(v.nginx?.code, 10);
    assert.ok(codes(v).includes('chain.revoked') && codes(v).includes('chain.expired'));
  });
  test('untrusted root: the root CRL is checked against the intermediate, (8), explained as a trust problem', () => {
    const v = verdictOf(byName('untrusted root with CRLs'));
    assert.equal(v.nginx?.code, 8);
    assert.ok(codes(v).includes('chain.untrusted-root'));
    assert.match(
      v.findings.find((x) => x.code === 'chain.crl-bad-signature')!.message,
      /the chain does not reach a trusted root/,
    );
  });
  test('a CRL expiring within warnDays is a warning', () => {
    const sc = byName('all CRLs present and current');
    const v = verifyChain({
      presented: sources(sc.chain),
      trusted: sources(sc.trusted),
      crls: crlSources(sc.crl),
      depth: 100,
      at: new Date(Date.now() + 70 * DAY),
      trustStoreName: 'internal',
    });
    const f = v.findings.filter((x) => x.code === 'chain.crl-expiring-soon');
    assert.equal(f.length, 2, JSON.stringify(v.findings));
    assert.match(f[0].message, /nginx rejects every upstream of this trust store with \(12:CRL has expired\)/);
  });
  test('an undecodable CRL block: nginx does not start', () => {
    const sc = byName('all CRLs present and current');
    const bad = crlSources(sc.crl)[0];
    const v = verifyChain({
      presented: sources(sc.chain),
      trusted: sources(sc.trusted),
      crls: [{ ...bad, block: { ...bad.block, der: Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]) } }],
      depth: 100,
      at: new Date(),
    });
    assert.equal(v.ok, false);
    assert.ok(codes(v).includes('chain.crl-unreadable'));
  });
});
