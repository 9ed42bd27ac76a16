import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePem } from '../../src/tls/pem.js';
import type { CertSource } from '../../src/tls/verdict.js';
import { verifyChain } from '../../src/tls/chain/index.js';
import { nginxCode, opensslVerify, repoRoot } from '../support/openssl-reference.js';

/**
 * x509-limbo (C2SP) against the OpenSSL reference: for every SERVER case with a DNS peer name (or
 * none) and no CRL, gwctl must decide what libcrypto decides under nginx's profile — not what the
 * suite's strict validator expects (see test/fixtures/x509-limbo/README.md, vendored with its licence).
 */
interface LimboCase {
  id: string;
  validation_kind: string;
  trusted_certs: string[];
  untrusted_intermediates: string[];
  peer_certificate: string;
  validation_time: string | null;
  expected_peer_name: { kind: string; value: string } | null;
  max_chain_depth: number | null;
  crls: string[] | null;
  expected_result: string;
}

/** Cases where gwctl knowingly decides otherwise than OpenSSL, with the reason. Empty: none. */
const KNOWN_DIVERGENCES: Record<string, string> = {};

function limboFile(): string {
  return join(repoRoot(), 'test', 'fixtures', 'x509-limbo', 'limbo.json');
}

function sources(pem: string, file: string): CertSource[] {
  const r = parsePem(Buffer.from(pem), 'certificate');
  if ('problem' in r) return [];
  return r.blocks.map((block) => ({ block, file }));
}

test('x509-limbo: gwctl agrees with OpenSSL under nginx settings', (t) => {
  const cases = (JSON.parse(readFileSync(limboFile(), 'utf8')) as { testcases: LimboCase[] }).testcases.filter(
    (c) =>
      c.validation_kind === 'SERVER' &&
      (!c.expected_peer_name || c.expected_peer_name.kind === 'DNS') &&
      !c.crls?.length,
  );
  const dir = mkdtempSync(join(tmpdir(), 'gwctl-limbo-'));
  const disagreements: string[] = [];
  const divergedAsKnown: string[] = [];
  let agree = 0;
  let strictDiffers = 0;
  let laxAccepted = 0;
  let laxWarned = 0;
  cases.forEach((c, i) => {
    const caseDir = join(dir, String(i));
    mkdirSync(caseDir);
    const trusted = join(caseDir, 'trusted.pem');
    const chain = join(caseDir, 'chain.pem');
    writeFileSync(trusted, c.trusted_certs.join(''));
    writeFileSync(chain, [c.peer_certificate, ...c.untrusted_intermediates].join(''));
    const at = c.validation_time ? new Date(c.validation_time) : new Date();
    const depth = c.max_chain_depth ?? 100;
    const name = c.expected_peer_name?.value;
    const ref = opensslVerify({ trusted, chain, depth, at, name });
    const refCode = nginxCode(ref);
    const v = verifyChain({
      presented: sources(readFileSync(chain, 'utf8'), chain),
      trusted: sources(readFileSync(trusted, 'utf8'), trusted),
      depth,
      name,
      at,
    });
    const mine = v.verified?.code ?? null; // the X509_verify_cert() layer; the handshake is judged in test/e2e
    const same = refCode === mine;
    if ((refCode === null) !== (c.expected_result === 'SUCCESS')) strictDiffers++;
    if (v.ok && c.expected_result === 'FAILURE') {
      laxAccepted++;
      if (v.findings.some((f) => f.severity === 'warning')) laxWarned++;
    }
    if (KNOWN_DIVERGENCES[c.id]) {
      if (same)
        disagreements.push(`${c.id}: listed as a known divergence but now agrees; remove it from KNOWN_DIVERGENCES`);
      else divergedAsKnown.push(c.id);
      return;
    }
    if (same) agree++;
    else disagreements.push(`${c.id}: openssl ${refCode} (seen ${JSON.stringify(ref.seen)}), gwctl ${mine} ok=${v.ok}`);
  });
  rmSync(dir, { recursive: true, force: true });
  t.diagnostic(
    `limbo: ${agree}/${cases.length} agree${divergedAsKnown.length ? `, ${divergedAsKnown.length} known divergences` : ''}`,
  );
  t.diagnostic(
    `limbo: OpenSSL under nginx's profile differs from the suite's strict expectation in ${strictDiffers} cases`,
  );
  t.diagnostic(
    `limbo: of ${laxAccepted} chains nginx accepts but a strict validator rejects, gwctl warns about ${laxWarned}`,
  );
  assert.ok(cases.length >= 170, `expected the 175 selected cases, found ${cases.length}`);
  assert.deepEqual(disagreements, []);
});
