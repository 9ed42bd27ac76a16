import { basename, resolve } from 'node:path';
import { analyzeTls, type UpstreamTlsAnalysis } from '../analyze/analyze-tls.js';
import { FatalError, hasFailures, withoutRepeats, type Diagnostic, type Fatal } from '../diagnostics/diagnostic.js';
import { positionAll } from '../load/load-spec.js';
import { checkSpecAsync } from '../pipeline/check-spec.js';
import { PemFiles } from '../tls/pem-files.js';
import { decodeVerdicts } from '../tls/x509-pool.js';
import { certificateDers } from '../validate/files.js';
import { findingDiagnostic } from '../tls/finding-diagnostic.js';
import type { ChainFinding } from '../tls/verdict.js';
import { probeCommand } from '../analyze/probe-command.js';
import { verifyChain } from '../tls/chain/index.js';
import { readPemOrFail, readTrustFile, reportOutput, type UpstreamReport } from './chain-report.js';
import type { CommandContext, CommandResult } from './context.js';
import { NGINX_DEFAULT_VERIFY_DEPTH } from '../load/spec-defaults.js';

export interface VerifyChainOptions {
  upstream?: string;
  at?: Date;
  warnDays: number;
}

/** `gwctl verify-chain SPEC...`: every upstream's presentedChain against its trust store, depth and name. */
export async function verifyChainSpecCommand(
  specPaths: string | readonly string[],
  opts: VerifyChainOptions,
  ctx: CommandContext,
): Promise<CommandResult> {
  const specs = typeof specPaths === 'string' ? [specPaths] : specPaths;
  if (specs.length > 1 && opts.upstream !== undefined) throw new FatalError('--upstream goes with a single spec');
  const reports: UpstreamReport[] = [];
  const general: Diagnostic[] = [];
  const files = new PemFiles();
  const fatal: Fatal[] = [];
  for (const specPath of specs) {
    let one: Awaited<ReturnType<typeof verifySpec>>;
    try {
      one = await verifySpec(specPath, opts, ctx, files);
    } catch (e) {
      // One unreadable spec of several: reported beside the others' verdicts, exit 2.
      if (!(e instanceof FatalError)) throw e;
      fatal.push({ message: e.message, spec: specPath });
      continue;
    }
    reports.push(...one.reports.map((r) => (specs.length > 1 ? { ...r, spec: specPath } : r)));
    general.push(...one.general);
  }
  return reportOutput(ctx, reports, withoutRepeats(general), fatal);
}

async function verifySpec(
  specPath: string,
  opts: VerifyChainOptions,
  ctx: CommandContext,
  files: PemFiles,
): Promise<{ reports: UpstreamReport[]; general: Diagnostic[] }> {
  const checked = await checkSpecAsync(specPath, ctx.cwd, files);
  if (!checked.spec || !checked.material || hasFailures(checked.diagnostics))
    return { reports: [], general: positionAll(checked.loaded, checked.diagnostics) };
  if (opts.upstream !== undefined && !checked.spec.upstreams?.[opts.upstream]?.tls) {
    throw new FatalError(`--upstream ${opts.upstream}: no TLS upstream of that name in ${specPath}`);
  }
  ctx.progress?.(`verifying ${opts.upstream ?? `the upstream chains of ${specPath}`}`);
  const analysis = analyzeTls(checked.spec, checked.material, {
    at: opts.at ?? ctx.now,
    warnDays: opts.warnDays,
    only: opts.upstream,
    specArg: specPath,
  });
  // Several specs share one report: each is positioned in its own document as its run ends.
  const positioned = positionAll(checked.loaded, [...checked.diagnostics, ...analysis.diagnostics]);
  // Each upstream's findings, in one pass (not one pass per upstream: 1,000 upstreams, 1,000 times the list).
  const reported = new Set(analysis.upstreams.map((u) => u.name));
  const byUpstream = new Map<string, typeof positioned>();
  const general: Diagnostic[] = [];
  for (const [i, d] of positioned.entries()) {
    const name = d.path[1];
    // The checks' own diagnostics are general; the analysis's go to their upstream.
    const mine =
      i >= checked.diagnostics.length &&
      d.path[0] === 'upstreams' &&
      typeof name === 'string' &&
      reported.has(name) &&
      (d.path[3] === 'presentedChain' || (d.path.length === 3 && d.code === 'chain.not-checked'));
    if (!mine) general.push(d);
    else {
      const list = byUpstream.get(name) ?? [];
      list.push(d);
      byUpstream.set(name, list);
    }
  }
  // Every TLS upstream gets an entry: one without a verdict says why and how to get one.
  const reports = analysis.upstreams.map(
    (u: UpstreamTlsAnalysis): UpstreamReport => ({
      name: u.name,
      serverName: checked.spec!.upstreams![u.name].tls?.serverName,
      verifyDepth: u.verifyDepth,
      verdict: u.verdict ?? null,
      ...(u.notChecked !== undefined ? { notChecked: u.notChecked } : {}),
      ...(u.notChecked === 'no presentedChain' ? { probe: probeCommand(specPath, u.name) } : {}),
      findings: byUpstream.get(u.name) ?? [],
    }),
  );
  return { reports, general };
}

export interface ChainFilesOptions {
  chain: string;
  ca: string[];
  /** proxy_ssl_crl files: revocation is then checked for every certificate, as nginx does. */
  crl?: string[];
  name?: string;
  depth?: number;
  at?: Date;
  warnDays: number;
}

/** `gwctl verify-chain --chain FILE --ca FILE`: the same check with no spec. */
export async function verifyChainFilesCommand(opts: ChainFilesOptions, ctx: CommandContext): Promise<CommandResult> {
  const files = new PemFiles();
  await decodeVerdicts(
    certificateDers(
      files,
      [opts.chain, ...opts.ca].map((f) => resolve(ctx.cwd, f)),
    ),
    {},
    // readTrustFile()'s replay of OpenSSL's reading needs no verdict.
    () => {
      for (const ca of opts.ca) files.scanAhead(resolve(ctx.cwd, ca));
    },
  );
  const presented = readPemOrFail(files, resolve(ctx.cwd, opts.chain), 'certificate', '--chain');
  const trustFiles = opts.ca.map((ca) => readTrustFile(files, resolve(ctx.cwd, ca)));
  const trusted = trustFiles.flatMap((t) => t.certs);
  const trustFileProblems = trustFiles.flatMap((t) => (t.problem ? [t.problem] : []));
  const verifyDepth = opts.depth ?? NGINX_DEFAULT_VERIFY_DEPTH;
  const crls = opts.crl?.flatMap((f) => readPemOrFail(files, resolve(ctx.cwd, f), 'crl', '--crl'));
  const verdict = verifyChain({
    presented,
    trusted,
    crls,
    depth: verifyDepth,
    name: opts.name,
    at: opts.at ?? ctx.now,
    warnDays: opts.warnDays,
    trustFileProblems,
  });
  const file = resolve(ctx.cwd, opts.chain);
  if (opts.name === undefined) verdict.findings.push(nameNotChecked());
  const findings: Diagnostic[] = verdict.findings.map((f) => findingDiagnostic(f, { file }));
  return reportOutput(ctx, [{ name: basename(opts.chain), serverName: opts.name, verifyDepth, verdict, findings }], []);
}

/** Without --name nothing checked the certificate's names, which nginx always does. */
function nameNotChecked(): ChainFinding {
  return {
    severity: 'info',
    code: 'chain.name-not-checked',
    message:
      'no name was checked (no --name): nginx checks proxy_ssl_name (by default the host of proxy_pass) against the certificate and logs `upstream SSL certificate does not match "NAME"` when it fails; add --name DNS to check it',
  };
}
