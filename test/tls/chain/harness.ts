import { readFileSync } from 'node:fs';
import { parsePem } from '../../../src/tls/pem.js';
import type { CertSource } from '../../../src/tls/verdict.js';
import {
  parseCertificate,
  parseCrl,
  trustStoreOf,
  verifyChain,
  x509VerifyCert,
  type ChainCrl,
  type ChainEngineRequest,
} from '../../../src/tls/chain/index.js';
import { nginxCode, opensslVerify, type ReferenceResult } from '../../support/openssl-reference.js';
import { nginxSslName } from '../../../src/tls/chain/host.js';

/** The certificates of a PEM file as the engine receives them. */
export function sources(file: string): CertSource[] {
  const r = parsePem(readFileSync(file), 'certificate');
  if ('problem' in r) throw new Error(`${file}: ${r.problem.message}`);
  return r.blocks.map((block) => ({ block, file }));
}

/** The CRLs of a PEM file (proxy_ssl_crl) as the engine receives them. */
export function crlSources(file: string): CertSource[] {
  const r = parsePem(readFileSync(file), 'crl');
  if ('problem' in r) throw new Error(`${file}: ${r.problem.message}`);
  return r.blocks.map((block) => ({ block, file }));
}

export interface Comparison {
  label: string;
  gwctl: { ok: boolean; code: number | null; chain: string[]; seen: [number, number][] };
  openssl: { ok: boolean; code: number | null | 'load-error'; chain: string[]; seen: [number, number][] };
  reference: ReferenceResult;
}

/** Runs one case through gwctl and through libcrypto with nginx's profile. */
export function compare(
  label: string,
  trusted: string,
  chain: string,
  depth: number,
  name: string | undefined,
  at: Date,
  extra: Partial<ChainEngineRequest> = {},
  crl?: string,
): Comparison {
  // nginx cuts proxy_ssl_name at its first ':' before X509_check_host(), and never matches "".
  const checked = name === undefined ? undefined : nginxSslName(name);
  const reference = opensslVerify({ trusted, chain, depth, at, name: checked || undefined, crl });
  const crls = crl !== undefined ? crlSources(crl) : undefined;
  const verdict = verifyChain({
    presented: sources(chain),
    trusted: sources(trusted),
    depth,
    name,
    at,
    crls,
    ...extra,
  });
  const parsedCrls =
    crls?.map((s) => {
      const r = parseCrl(s.block.der);
      if ('error' in r) throw new Error(r.error);
      return r.crl;
    }) ?? null;
  const presented = sources(chain).map((s) => {
    const r = parseCertificate(s.block.der);
    if ('error' in r) throw new Error(r.error);
    return r.cert;
  });
  const trace = x509VerifyCert(
    presented,
    trustStoreOf(sources(trusted)),
    depth,
    Math.floor(at.getTime() / 1000),
    parsedCrls as ChainCrl[] | null,
  );
  const code = checked === '' && nginxCode(reference) === null ? 62 : nginxCode(reference);
  return {
    label,
    gwctl: {
      ok:
        (verdict.verified ?? null) === null &&
        verdict.findings.every((f) => f.severity !== 'error' || f.code === 'chain.handshake-fails'),
      code: verdict.verified?.code ?? null,
      chain: verdict.chain,
      seen: trace.seen.map((e) => [e.code, e.depth]),
    },
    openssl: { ok: code === null, code, chain: reference.chain, seen: reference.seen },
    reference,
  };
}
