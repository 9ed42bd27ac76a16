import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { opensslLoadTrustFile } from '../../src/tls/openssl-pem.js';
import { PemFiles } from '../../src/tls/pem-files.js';
import { FatalError } from '../../src/diagnostics/diagnostic.js';
import { readTrustFile } from '../../src/commands/chain-report.js';
import { verifyChain } from '../../src/tls/chain/index.js';
import { makePki, type PkiCert } from '../support/pki.js';
import { nginxCode, opensslVerify } from '../support/openssl-reference.js';
import { sources } from './chain/harness.js';

/**
 * Trusted-certificate files as OpenSSL reads them (X509_load_cert_crl_file(), what nginx's
 * SSL_CTX_load_verify_locations() calls): each variant is loaded by libcrypto through the
 * reference program and by gwctl's model, which must agree on refusing it, and, when it loads, on
 * the verdict (so on which certificates were read).
 */
let dir: string;
let root: PkiCert;
let other: PkiCert;
let chain: string;
const variants: [string, string][] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gwctl-openssl-pem-'));
  const pki = await makePki(join(dir, 'pki'));
  root = pki.root('PEM Root');
  other = pki.root('Other PEM Root');
  const int = pki.intermediate(root, 'PEM Int');
  chain = pki.bundle('chain.pem', [pki.leaf(int, { cn: 'svc.internal', dns: ['svc.internal'] }), int]);
  const lines = root.pem.trim().split('\n');
  const body = lines.slice(1, -1);
  const der = Buffer.from(body.join(''), 'base64');
  const b64 = (buf: Buffer, width = 64) =>
    buf
      .toString('base64')
      .match(new RegExp(`.{1,${width}}`, 'g'))!
      .join('\n');
  const block = (label: string, inner: string) => `-----BEGIN ${label}-----\n${inner}\n-----END ${label}-----\n`;
  const crl = pki.crl(root);
  variants.push(
    ['plain', root.pem],
    ['CRLF line ends', root.pem.replace(/\n/g, '\r\n')],
    ['UTF-8 BOM', '\ufeff' + root.pem],
    ['text before and between blocks', 'subject=CN = PEM Root\n' + other.pem + 'junk line\n' + root.pem],
    ['trailing spaces on lines', root.pem.replace(/\n/g, '  \n')],
    ['header line then a blank line', [lines[0], 'Comment: our root', '', ...lines.slice(1)].join('\n') + '\n'],
    ['header line without a blank line', [lines[0], 'Comment: our root', ...lines.slice(1)].join('\n') + '\n'],
    ['blank line inside the body', [lines[0], lines[1], '', ...lines.slice(2)].join('\n') + '\n'],
    ['blank line right after BEGIN', [lines[0], '', ...lines.slice(1)].join('\n') + '\n'],
    ['two blank lines', [lines[0], '', '', ...lines.slice(1)].join('\n') + '\n'],
    [
      'spaces inside base64 lines',
      block('CERTIFICATE', body.map((l) => `${l.slice(0, 10)} ${l.slice(10)}`).join('\n')),
    ],
    ['one long base64 line', block('CERTIFICATE', b64(der, 100000))],
    ['254-character base64 lines', block('CERTIFICATE', b64(der, 254))],
    ['253-character base64 lines', block('CERTIFICATE', b64(der, 253))],
    ['76-character base64 lines', block('CERTIFICATE', b64(der, 76))],
    ['unknown block with bad base64', block('FOO', '!!!!') + root.pem],
    ['unknown block with good base64', block('FOO', 'AAAA') + root.pem],
    ['empty unknown block', '-----BEGIN FOO-----\n-----END FOO-----\n' + root.pem],
    ['X509 CRL block that is not a CRL', block('X509 CRL', b64(Buffer.from('not a crl'))) + root.pem],
    ['a real CRL before the root', `${readFileSync(crl, 'latin1')}${root.pem}`],
    ['END label differs', root.pem.replace('-----END CERTIFICATE-----', '-----END X509 CERTIFICATE-----')],
    ['END line missing', lines.slice(0, -1).join('\n') + '\n'],
    ['END line with trailing text', root.pem.replace('-----END CERTIFICATE-----', '-----END CERTIFICATE-----x')],
    ['invalid character in base64', root.pem.replace(body[2], body[2].slice(0, 5) + '*' + body[2].slice(6))],
    ['a dash inside base64', root.pem.replace(body[2], body[2].slice(0, 5) + '-' + body[2].slice(6))],
    ['X509 CERTIFICATE label', root.pem.replace(/CERTIFICATE/g, 'X509 CERTIFICATE')],
    ['no PEM at all', 'hello\n'],
    ['NUL byte between certificates (root second)', other.pem + '\0\n' + root.pem],
    ['NUL byte at the end of a line', other.pem.trimEnd() + '\0trailing\n' + root.pem],
    // The reading is done before the DER decoding (scanTrustFile, then finishTrustFileScan): the
    // first block d2i refuses must still end the file ahead of a later error, and after it.
    [
      'undecodable certificate, then an END line missing',
      root.pem + block('CERTIFICATE', 'MAA=') + lines.slice(0, -1).join('\n') + '\n',
    ],
    ['undecodable certificate, then bad base64', block('CERTIFICATE', 'MAA=') + block('FOO', '!!!!') + root.pem],
    ['undecodable certificate last', root.pem + block('CERTIFICATE', 'MAA=')],
  );
  const padded = der.length % 3 !== 0;
  if (padded) variants.push(['base64 "=" padding removed', block('CERTIFICATE', b64(der).replace(/=+$/, ''))]);
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('gwctl refuses exactly the trust files libcrypto refuses, and trusts what it reads', () => {
  const at = new Date();
  const disagreements: string[] = [];
  for (const [i, [label, text]] of variants.entries()) {
    const file = join(dir, `v${i}.pem`);
    writeFileSync(file, Buffer.from(text, 'latin1'));
    const ref = opensslVerify({ trusted: file, chain, depth: 2, at, name: 'svc.internal' });
    let refused: boolean;
    let ours: ReturnType<typeof readTrustFile> | undefined;
    try {
      ours = readTrustFile(new PemFiles(), file);
      refused = ours.problem !== undefined;
    } catch (e) {
      // gwctl's own reader already refuses it (no PEM block at all); anything else is a crash.
      assert.ok(e instanceof FatalError, `${label}: ${String(e)}`);
      refused = true;
    }
    if (refused !== (ref.loadError === 'trusted')) {
      disagreements.push(
        `${label}: gwctl ${refused ? `refuses (${ours?.problem?.reason ?? 'no certificate'})` : 'loads'}, libcrypto ${ref.loadError ? 'refuses' : 'loads'}`,
      );
      continue;
    }
    if (refused || !ours) continue;
    const verdict = verifyChain({ presented: sources(chain), trusted: ours.certs, depth: 2, name: 'svc.internal', at });
    const code = verdict.nginx?.code ?? null;
    if (code !== nginxCode(ref)) disagreements.push(`${label}: gwctl ${code}, libcrypto ${nginxCode(ref)}`);
  }
  assert.deepEqual(disagreements, []);
  assert.ok(variants.length >= 29);
});

test('a certificate OpenSSL cannot decode ends the file there, before any later reading error', () => {
  const bad = '-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n';
  const rootLines = root.pem.split('\n').length - 1;
  const r = opensslLoadTrustFile(Buffer.from(root.pem + bad + '-----BEGIN CERTIFICATE-----\nMAA=\n'));
  assert.deepEqual(
    [r.blocks.length, r.error?.line, r.error?.reason.startsWith('ASN1 lib (the CERTIFICATE block does not decode')],
    [1, rootLines + 1, true],
  );
  // Without the undecodable block, the later error is the one reported (the data line is too
  // short to be a header line and is not followed by an END line).
  assert.deepEqual(opensslLoadTrustFile(Buffer.from(root.pem + '-----BEGIN CERTIFICATE-----\nMAA=\n')).error, {
    reason: 'short header',
    line: rootLines + 3,
  });
});

test('the model on its own: what it reads and where it stops', () => {
  const r = opensslLoadTrustFile(Buffer.from(other.pem + '\0\n' + root.pem));
  assert.equal(r.error, undefined);
  assert.equal(r.blocks.length, 1);
  assert.ok(r.stoppedAtLine !== undefined);
  // A file of CRLs alone loads in OpenSSL (and trusts nothing); gwctl's reader stops earlier, at
  // "holds x509 crl PEM block(s), not a certificate", which is why the comparison above leaves it out.
  assert.equal(
    opensslLoadTrustFile(Buffer.from('-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n')).error,
    undefined,
  );
  assert.match(
    opensslLoadTrustFile(Buffer.from('-----BEGIN FOO-----\n!!!!\n-----END FOO-----\n' + root.pem)).error!.reason,
    /bad base64 decode/,
  );
});
