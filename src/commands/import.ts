import { resolve } from 'node:path';
import { FatalError, type Diagnostic } from '../diagnostics/diagnostic.js';
import { capabilities } from '../import/kong/capabilities.js';
import { importKong } from '../import/kong/import-kong.js';
import { readKongFile } from '../import/kong/kong-file.js';
import type { KongDefaults } from '../import/kong/tls.js';
import { SPEC_FILE, specText, writeImport } from '../import/kong/write-import.js';
import { readRegularFile } from '../load/read-file.js';
import { MAX_PEM_BYTES, parsePem } from '../tls/pem.js';
import { report, type CommandContext, type CommandResult } from './context.js';

export interface ImportKongOptions {
  out: string;
  /** --verify-default: what Kong's global proxy_ssl_verify is (kong.conf); off unless given. */
  verifyDefault: boolean;
  /** --verify-depth-default: Kong's global proxy_ssl_verify_depth; nginx's 1 unless given. */
  verifyDepthDefault: number;
  /** --trusted-ca: the file kong.conf names in nginx_proxy_proxy_ssl_trusted_certificate. */
  trustedCa?: string;
  listen: { port: number; address?: string };
  statusListen?: { port: number; address?: string };
  /** runtime.flavor; openresty (Kong's runtime) is the spec's default and is not written. */
  flavor?: 'openresty' | 'nginx';
}

/**
 * `gwctl import kong KONG.yml --out DIR`: DIR/gateway.yaml and the PEM files it names. Exit 1
 * with the Kong file's own positions when it cannot be mapped (nothing written); exit 0 with a
 * warning for everything not mapped.
 */
export function importKongCommand(kongPath: string, opts: ImportKongOptions, ctx: CommandContext): CommandResult {
  const defaults: KongDefaults = {
    verify: opts.verifyDefault,
    verifyDepth: opts.verifyDepthDefault,
    trustedCa: opts.trustedCa !== undefined ? readTrustedCa(opts.trustedCa, ctx.cwd) : undefined,
  };
  const outDir = resolve(ctx.cwd, opts.out);
  const { kong, findings } = readKongFile(kongPath, ctx.cwd);
  const extra = { kong: findings.list[0]?.file ?? resolve(ctx.cwd, kongPath), out: outDir };
  if (!kong) return report(ctx, sorted(findings.list), extra);
  const out = importKong(kong, findings, {
    defaults,
    listen: opts.listen,
    statusListen: opts.statusListen && { address: '127.0.0.1', ...opts.statusListen },
    capabilities: capabilities(),
  });
  if (findings.failed) return report(ctx, sorted(findings.list), extra);
  out.addFile(SPEC_FILE, specText(out, kong.loaded.file, opts.listen, opts.flavor));
  const invalid = writeImport(outDir, [...out.files.values()], ctx.cwd);
  const diagnostics = [...sorted(findings.list), ...invalid];
  const warnings = findings.list.filter((d) => d.severity === 'warning').length;
  const summary = [
    `${opts.out}/${SPEC_FILE}: ${out.upstreams.size} upstream(s), ${out.routes.length} route(s), ${out.files.size - 1} PEM file(s); ${warnings} thing(s) not mapped or different (listed above)`,
    `next: gwctl verify-chain ${opts.out}/${SPEC_FILE}, gwctl probe ${opts.out}/${SPEC_FILE}, gwctl render ${opts.out}/${SPEC_FILE} --out DIR`,
    '',
  ].join('\n');
  return report(ctx, diagnostics, { ...extra, spec: resolve(outDir, SPEC_FILE) }, summary);
}

/** `--listen 127.0.0.1:8000` or `--listen 8080`; undefined when not given. */
export function parseListen(text: string | undefined, option: string): { port: number; address?: string } | undefined {
  if (text === undefined) return undefined;
  const m = /^(?:(.+):)?(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) throw new FatalError(`${option} ${text}: expected PORT or ADDRESS:PORT`);
  return m[1] !== undefined ? { port, address: m[1] } : { port };
}

function readTrustedCa(file: string, cwd: string): { file: string; pem: string } {
  const r = readRegularFile(resolve(cwd, file), MAX_PEM_BYTES);
  if ('problem' in r) throw new FatalError(`--trusted-ca ${file}: ${r.problem.message}`);
  const parsed = parsePem(r.data, 'certificate');
  if ('problem' in parsed) throw new FatalError(`--trusted-ca ${file}: ${parsed.problem.message}`);
  return { file, pem: parsed.blocks.map((b) => b.text).join('') };
}

/** In file order, each once (a Kong upstream shared by services reports its findings once). */
function sorted(list: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return list
    .filter((d) => {
      const key = `${d.code} ${d.line} ${d.column} ${d.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}
