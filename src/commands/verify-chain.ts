import { basename, resolve } from 'node:path';
import { analyzeTls, type UpstreamTlsAnalysis } from '../analyze/analyze-tls.js';
import { FatalError, hasFailures, type Diagnostic } from '../diagnostics/diagnostic.js';
import { formatHuman } from '../format/human.js';
import { diagnosticJson, formatJson } from '../format/json.js';
import { positionDiagnostics } from '../load/load-spec.js';
import { checkSpec } from '../pipeline/check-spec.js';
import { readPem } from '../tls/pem.js';
import type { CertSource, ChainVerdict } from '../tls/verdict.js';
import { verifyChain } from '../tls/engine.js';
import { NGINX_DEFAULT_VERIFY_DEPTH } from '../plan/plan.js';
import { exitFor, type CommandContext, type CommandResult } from './context.js';

export interface VerifyChainOptions {
  upstream?: string;
  at?: Date;
  warnDays: number;
}

export interface UpstreamReport {
  name: string;
  verifyDepth: number;
  verdict: ChainVerdict;
  /** Findings as positioned diagnostics. */
  findings: Diagnostic[];
}

/** `gwctl verify-chain SPEC`: every upstream's presentedChain against its trust store, depth and name. */
export function verifyChainSpecCommand(specPath: string, opts: VerifyChainOptions, ctx: CommandContext): CommandResult {
  const checked = checkSpec(specPath, ctx.cwd);
  if (!checked.spec || !checked.material || hasFailures(checked.diagnostics)) return output(ctx, [], checked.diagnostics);
  if (opts.upstream !== undefined && !checked.spec.upstreams?.[opts.upstream]?.tls) {
    throw new FatalError(`--upstream ${opts.upstream}: no TLS upstream of that name in ${specPath}`);
  }
  const analysis = analyzeTls(checked.spec, checked.material, { at: opts.at ?? ctx.now, warnDays: opts.warnDays, only: opts.upstream });
  const positioned = positionDiagnostics(checked.loaded, analysis.diagnostics);
  const reports = analysis.upstreams.filter((u): u is Required<UpstreamTlsAnalysis> => !!u.verdict).map((u) => ({
    name: u.name, verifyDepth: u.verifyDepth, verdict: u.verdict,
    findings: positioned.filter((d) => d.path[1] === u.name && d.path[3] === 'presentedChain'),
  }));
  const general = [...checked.diagnostics, ...positioned.filter((d) => !reports.some((r) => r.findings.includes(d)))];
  return output(ctx, reports, general);
}

export interface ChainFilesOptions {
  chain: string;
  ca: string[];
  name?: string;
  depth?: number;
  at?: Date;
  warnDays: number;
}

/** `gwctl verify-chain --chain FILE --ca FILE`: the same check with no spec. */
export function verifyChainFilesCommand(opts: ChainFilesOptions, ctx: CommandContext): CommandResult {
  const presented = readCerts(resolve(ctx.cwd, opts.chain), '--chain');
  const trusted = opts.ca.flatMap((ca) => readCerts(resolve(ctx.cwd, ca), '--ca'));
  const verifyDepth = opts.depth ?? NGINX_DEFAULT_VERIFY_DEPTH;
  const verdict = verifyChain({ presented, trusted, depth: verifyDepth, name: opts.name, at: opts.at ?? ctx.now, warnDays: opts.warnDays });
  const file = resolve(ctx.cwd, opts.chain);
  const findings: Diagnostic[] = verdict.findings.map((f) => ({ code: f.code, severity: f.severity, message: f.message, path: [], file: f.file ?? file, line: f.line ?? 1, column: 1 }));
  return output(ctx, [{ name: basename(opts.chain), verifyDepth, verdict, findings }], []);
}

function readCerts(file: string, flag: string): CertSource[] {
  const r = readPem(file, 'certificate');
  if ('problem' in r) throw new FatalError(`${flag} ${file}: ${r.problem.message}`);
  return r.blocks.map((block) => ({ block, file }));
}

function output(ctx: CommandContext, reports: UpstreamReport[], general: Diagnostic[]): CommandResult {
  const all = [...general, ...reports.flatMap((r) => r.findings)];
  const failed = reports.some((r) => !r.verdict.ok);
  const exitCode = failed || exitFor(all, ctx) ? 1 : 0;
  if (ctx.format === 'json') {
    return {
      exitCode,
      stdout: formatJson({
        ok: exitCode === 0,
        upstreams: reports.map((r) => ({
          name: r.name, ok: r.verdict.ok, requiredDepth: r.verdict.requiredDepth, verifyDepth: r.verifyDepth,
          chain: r.verdict.chain, nginx: r.verdict.nginx, findings: r.findings.map(diagnosticJson),
        })),
        diagnostics: general.map(diagnosticJson),
      }),
      stderr: '',
    };
  }
  const lines: string[] = [];
  for (const r of reports) {
    const mark = r.verdict.ok ? 'ok' : 'FAIL';
    lines.push(`${r.name}: ${mark}${r.verdict.nginx ? `: nginx will log ${nginxLogLine(r.verdict)}` : ''}`);
    if (r.verdict.chain.length) lines.push(`  chain: ${r.verdict.chain.join('  <-  ')}`);
    lines.push(`  depth: chain needs ${r.verdict.requiredDepth ?? 'n/a'}, proxy_ssl_verify_depth ${r.verifyDepth}`);
    for (const f of r.findings) lines.push(`  ${f.severity}: ${f.message} [${f.code}]`);
  }
  const body = lines.length ? `${lines.join('\n')}\n` : '';
  return { exitCode, stdout: body, stderr: formatHuman(general, ctx) };
}

export function nginxLogLine(v: ChainVerdict): string {
  if (!v.nginx) return '';
  if (v.nginx.code === 62) return v.nginx.reason.startsWith('upstream') ? v.nginx.reason : `upstream SSL certificate does not match (${v.nginx.reason})`;
  return `"upstream SSL certificate verify error: (${v.nginx.code}:${v.nginx.reason})"`;
}
