import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { makePki, type Pki, type PkiCert } from '../../support/pki.js';
import { verifyChain } from '../../../src/tls/chain/index.js';
import type { ChainVerdict } from '../../../src/tls/verdict.js';
import { compare, sources } from './harness.js';

/**
 * The advice is tested by applying it: each case takes the engine's error finding, does what its
 * message says (mechanically: the certificates it names, where it says to put them, the order it
 * asks for) and verifies again. The result must pass. These are the three cases where the advice
 * used to be wrong: a chain given CA first, a trusted intermediate whose issuer is an
 * intermediate too, and a lone leaf two levels below the root.
 */
let pki: Pki;
let root: PkiCert;
let int1: PkiCert;
let int2: PkiCert;
let all: PkiCert[];

before(async () => {
  pki = await makePki(join(mkdtempSync(join(tmpdir(), 'gwctl-advice-')), 'pki'));
  root = pki.root('Advice Root');
  int1 = pki.intermediate(root, 'Advice Int One');
  int2 = pki.intermediate(int1, 'Advice Int Two');
  all = [root, int1, int2];
});

after(() => rmSync(dirname(pki.dir), { recursive: true, force: true }));

function run(trusted: PkiCert[], chain: PkiCert[]): ChainVerdict {
  const tag = Math.random().toString(36).slice(2);
  const tf = pki.bundle(`t-${tag}.pem`, trusted);
  const cf = pki.bundle(`c-${tag}.pem`, chain);
  const at = new Date();
  const v = verifyChain({
    presented: sources(cf),
    trusted: sources(tf),
    depth: 100,
    name: 'svc.internal',
    at,
    trustStoreName: 'internal',
  });
  const c = compare('advice', tf, cf, 100, 'svc.internal', at);
  assert.equal(
    v.verified?.code ?? null,
    c.openssl.code === 0 ? null : c.openssl.code,
    'the engine agrees with libcrypto',
  );
  return v;
}

const byName = (name: string) => {
  const c = all.find((x) => x.name === name);
  assert.ok(c, `the advice names ${name}, a certificate of this PKI`);
  return c;
};
/** A CA and every intermediate above it, up to but not including the self-signed root. */
const upToRoot = (c: PkiCert): PkiCert[] => (c.issuer === null ? [] : [c, ...upToRoot(c.issuer)]);
const errors = (v: ChainVerdict) => v.findings.filter((f) => f.severity === 'error');

test('CA first: "leaf first" is the diagnosis (not keyUsage); reordering as told passes', () => {
  const leaf = pki.leaf(int1, { cn: 'svc.internal', dns: ['svc.internal'] });
  const v = run([root], [int1, leaf]);
  assert.deepEqual(
    errors(v).map((f) => f.code),
    ['chain.not-leaf-first'],
  );
  assert.equal(
    errors(v)[0].message,
    "the chain starts with the CA certificate 'CN=Advice Int One', but a server sends its own certificate first: the leaf 'CN=svc.internal' is certificate 2 of 2. Reorder the chain leaf first, each certificate followed by the one that issued it: 'CN=svc.internal', then 'CN=Advice Int One'",
  );
  // Applied: the named leaf first, then its issuers in order.
  const fixed = run([root], [leaf, int1]);
  assert.deepEqual([fixed.ok, errors(fixed)], [true, []]);
});

test('a trusted intermediate whose issuer is an intermediate: the advice does not call it the self-signed root, and applying it passes', () => {
  const leaf = pki.leaf(int2, { cn: 'svc.internal', dns: ['svc.internal'] });
  for (const served of [[leaf], [leaf, int2, int1]]) {
    const v = run([int2], served);
    assert.equal(v.nginx?.code, 2);
    const f = errors(v).find((x) => x.code === 'chain.anchor-not-self-signed');
    assert.ok(f, JSON.stringify(v.findings));
    assert.doesNotMatch(f.message, /the self-signed root 'CN=Advice Int One'/);
    const named = /but not '([^']+)'/.exec(f.message)![1];
    assert.equal(named, 'CN=Advice Int One');
    if (served.length > 1)
      assert.match(
        f.message,
        /add 'CN=Advice Int One' \(an intermediate, issued by 'CN=Advice Root'\) and every CA above it up to the self-signed root to trust store 'internal'/,
      );
    else
      assert.match(
        f.message,
        /add 'CN=Advice Int One' and, if that is not a self-signed root itself, every CA above it up to the self-signed root/,
      );
    // Applied: the named CA and every CA above it, the root included, into the store.
    const named1 = byName(named);
    const fixed = run([int2, ...upToRoot(named1), root], served);
    assert.deepEqual([fixed.ok, errors(fixed)], [true, []]);
    // The old advice (the named certificate alone) still fails with 2: the test can tell them apart.
    assert.equal(run([int2, named1], served).nginx?.code, 2);
  }
});

test('a lone leaf two levels below the root: both ways the advice offers pass when applied', () => {
  const leaf = pki.leaf(int2, { cn: 'svc.internal', dns: ['svc.internal'] });
  const v = run([root], [leaf]);
  assert.equal(v.nginx?.code, 21);
  const f = errors(v).find((x) => x.code === 'chain.missing-intermediate');
  assert.ok(f);
  const named = byName(/add its issuer '([^']+)'/.exec(f.message)![1]);
  assert.equal(named, int2);
  // "to the chain it serves, after the leaf": the issuer and every intermediate above it.
  const served = run([root], [leaf, ...upToRoot(named)]);
  assert.deepEqual([served.ok, errors(served)], [true, []]);
  // "or add them to the store, which must then also hold that root".
  const trusted = run([root, ...upToRoot(named)], [leaf]);
  assert.deepEqual([trusted.ok, errors(trusted)], [true, []]);
  // The old advice (only the named intermediate) fails: 20 served, 2 trusted without Int One.
  assert.equal(run([root], [leaf, int2]).nginx?.code, 20);
  assert.equal(run([root, int2], [leaf]).nginx?.code, 2);
});
