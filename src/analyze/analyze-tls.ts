import { error, warning, type Diagnostic, type SpecPath } from '../diagnostics/diagnostic.js';
import type { GatewaySpec } from '../load/spec-types.js';
import { findingDiagnostic } from '../tls/finding-diagnostic.js';
import type { ChainFinding, ChainVerdict } from '../tls/verdict.js';
import { verifyChain, type ChainEngineRequest } from '../tls/chain/index.js';
import { checkClientCertificate } from '../tls/client-certificate.js';
import { probeCommand } from './probe-command.js';
import { NGINX_DEFAULT_VERIFY_DEPTH } from '../load/spec-defaults.js';
import type { Material } from '../tls/material.js';
import { securityLevelOf } from '../tls/security-level.js';
import { nginxDefaultProtocols } from '../load/nginx-version.js';

export interface UpstreamTlsAnalysis {
  name: string;
  /** The proxy_ssl_verify_depth that will be rendered. */
  verifyDepth: number;
  /** Present when the spec gave a presentedChain to verify offline. */
  verdict?: ChainVerdict;
  /** Why there is no verdict (no presentedChain, verify off), for upstreams without one. */
  notChecked?: string;
}

export interface AnalyzeOptions {
  at: Date;
  warnDays: number;
  /** Only these upstreams (verify-chain --upstream). */
  only?: string;
  /** The spec as the user named it, for the `gwctl probe` command advised (default gateway.yaml). */
  specArg?: string;
}

/** Verifies every TLS upstream's presented chain as nginx will, and settles its verify depth. */
export function analyzeTls(
  spec: GatewaySpec,
  material: Material,
  opts: AnalyzeOptions,
): { upstreams: UpstreamTlsAnalysis[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const upstreams: UpstreamTlsAnalysis[] = [];
  for (const [name, up] of Object.entries(spec.upstreams ?? {})) {
    const tls = up.tls;
    if (!tls || (opts.only !== undefined && opts.only !== name)) continue;
    const path = ['upstreams', name, 'tls'];
    const declared = tls.verifyDepth;
    const presented = material.presentedChains.get(name);
    const trusted = tls.trustStore !== undefined ? material.trustStores.get(tls.trustStore) : undefined;
    if ((tls.verify ?? true) === false) {
      upstreams.push({
        name,
        verifyDepth: declared ?? NGINX_DEFAULT_VERIFY_DEPTH,
        notChecked: 'verify is false: nginx does not verify this upstream',
      });
      continue;
    }
    if (!presented || !trusted) {
      const verifyDepth = declared ?? NGINX_DEFAULT_VERIFY_DEPTH;
      if (tls.presentedChain === undefined) {
        diagnostics.push(
          warning(
            'chain.not-checked',
            `upstream "${name}" has no presentedChain, so gwctl cannot check offline that nginx will accept its certificate; nginx will use proxy_ssl_verify_depth ${verifyDepth}${declared === undefined ? " (nginx's default)" : ''}, which allows ${intermediates(verifyDepth)}. Fetch the chain the upstream serves with: ${probeCommand(opts.specArg ?? 'gateway.yaml', name)}`,
            path,
          ),
        );
      }
      upstreams.push({ name, verifyDepth, notChecked: 'no presentedChain' });
      continue;
    }
    // proxy_ssl_crl: rendered when the trust store has a crl (and verification is on).
    const crls = tls.trustStore !== undefined ? material.crls.get(tls.trustStore) : undefined;
    const { verifyDepth, verdict } = verifyUpstreamChain(
      {
        presented,
        trusted,
        crls,
        name: tls.serverName,
        at: opts.at,
        trustStoreName: tls.trustStore,
        warnDays: opts.warnDays,
        securityLevel: securityLevelOf(tls.ciphers),
        protocols: tls.protocols ?? nginxDefaultProtocols(spec.runtime?.nginxVersion),
      },
      declared,
    );
    upstreams.push({ name, verifyDepth, verdict });
    for (const f of verdict.findings)
      diagnostics.push(fromFinding(`upstream "${name}"`, f, [...path, 'presentedChain']));
    if (!verdict.ok && !verdict.findings.some((f) => f.severity === 'error')) {
      diagnostics.push(
        error(
          'chain.rejected',
          `upstream "${name}": nginx will reject this chain: (${verdict.nginx?.code}:${verdict.nginx?.reason})`,
          [...path, 'presentedChain'],
        ),
      );
    }
  }
  diagnostics.push(...analyzeClientCertificates(spec, material, opts));
  return { upstreams, diagnostics };
}

/**
 * One upstream's chain at the depth render will write: the declared verifyDepth, else the depth
 * the chain needs (derived), else nginx's default.
 */
export function verifyUpstreamChain(
  request: Omit<ChainEngineRequest, 'depth'>,
  declared: number | undefined,
): { verifyDepth: number; verdict: ChainVerdict } {
  let verifyDepth = declared ?? NGINX_DEFAULT_VERIFY_DEPTH;
  let verdict = verifyChain({ ...request, depth: verifyDepth });
  if (declared === undefined && verdict.requiredDepth !== null && verdict.requiredDepth !== verifyDepth) {
    // The engine reports the depth the chain needs whatever depth it ran at: derive it, then
    // verify again at exactly what will be rendered.
    verifyDepth = verdict.requiredDepth;
    verdict = verifyChain({ ...request, depth: verifyDepth });
  }
  return { verifyDepth, verdict };
}

function intermediates(depth: number): string {
  return depth === 0 ? 'no intermediate CA' : depth === 1 ? 'one intermediate CA' : `${depth} intermediate CAs`;
}

/** Each client certificate an upstream in scope presents: order, client purpose, validity, strength. */
function analyzeClientCertificates(spec: GatewaySpec, material: Material, opts: AnalyzeOptions): Diagnostic[] {
  // Each upstream loads the identity at its own security level: the strictest one decides.
  const levels = new Map<string, number>();
  for (const [upstream, up] of Object.entries(spec.upstreams ?? {})) {
    const client = up.tls?.clientCertificate;
    if (client === undefined || (opts.only !== undefined && opts.only !== upstream)) continue;
    levels.set(client, Math.max(levels.get(client) ?? 0, securityLevelOf(up.tls?.ciphers)));
  }
  const out: Diagnostic[] = [];
  for (const name of [...levels.keys()].sort()) {
    const pair = material.clientCertificates.get(name);
    // The loader already reported why a key here could not be opened; a key on the gateway host
    // is not opened at all, but its certificate (order, client purpose, validity) still is checked.
    if (!pair || (!pair.key && !pair.onHost)) continue;
    const report = checkClientCertificate({
      certificates: pair.certs,
      keys: [],
      key: pair.key,
      keyOnHost: pair.onHost && !pair.key,
      keyFile: pair.keyFile,
      at: opts.at,
      warnDays: opts.warnDays,
      securityLevel: levels.get(name),
    });
    for (const f of report.findings)
      out.push(fromFinding(`client certificate "${name}"`, f, ['clientCertificates', name, 'certificate']));
  }
  return out;
}

/** A finding about a certificate becomes a diagnostic at the spec field that named the file. */
function fromFinding(subject: string, f: ChainFinding, path: SpecPath): Diagnostic {
  return findingDiagnostic(f, { subject, path });
}
