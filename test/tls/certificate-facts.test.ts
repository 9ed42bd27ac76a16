import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePki } from '../support/pki.js';
import { sameIssuerAndSubject } from '../../src/tls/der-names.js';
import { certificateFacts } from '../../src/tls/certificate-facts.js';
import { parsePem } from '../../src/tls/pem.js';

/**
 * trust.public-bundle counts self-issued certificates as node:crypto's text of the names says
 * (`x509.issuer === x509.subject`); identical issuer and subject bytes answer without OpenSSL,
 * anything else (a leaf named like its issuer but for case, say) is left to that text.
 */
test('self-issued as the names read: a root, a leaf, and a leaf named like its issuer but for case', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gwctl-facts-'));
  try {
    const pki = await makePki(dir);
    const root = pki.root('Facts Root');
    const leaf = pki.leaf(root, { dns: ['leaf.test'] });
    const lookalike = pki.leaf(root, { cn: 'facts  ROOT', dns: ['lookalike.test'] });
    const certs = [root, leaf, lookalike];
    assert.deepEqual(
      certs.map((c) => sameIssuerAndSubject(new X509Certificate(readFileSync(c.cert)).raw)),
      [true, false, false],
    );
    const facts = certs.map((c) => {
      const r = parsePem(readFileSync(c.cert), 'certificate');
      assert.ok('blocks' in r);
      const f = certificateFacts(r.blocks[0]);
      assert.ok(f);
      assert.equal(f.selfIssued, f.x509.issuer === f.x509.subject);
      return f.selfIssued;
    });
    assert.deepEqual(facts, [true, false, false]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
