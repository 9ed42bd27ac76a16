import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { SpecPath } from '../diagnostics/diagnostic.js';
import { readRegularFileOrUndefined } from '../load/read-file.js';
import { CONF, MANIFEST, MAX_CONF_BYTES } from './layout.js';

/**
 * The render manifest, DIR/gwctl-manifest.json: what a render wrote and why. Error mapping,
 * cleanup and the "is this gwctl's directory" test read it; nothing reads nginx.conf's comments.
 * It is a function of the render alone (no absolute paths, no times, no spec line numbers), so
 * two renders of one spec write the same bytes wherever DIR is. Format: docs/output.md.
 */
export interface RenderManifest {
  manifest: typeof MANIFEST_KIND;
  version: 1;
  /** The spec's file name, as nginx.conf's first line names it. */
  spec: string;
  /** nginx.conf as written: a hand edit shows as a different hash. */
  nginxConf: { sha256: string; lines: number };
  /** Every file written beside nginx.conf (the manifest aside), sorted by path. */
  files: ManifestFile[];
  /** Which lines of nginx.conf came from which spec fields, in line order, outer ranges first. */
  sources: LineSource[];
}

export interface ManifestFile {
  path: string;
  sha256: string;
  /** Why it was written, in words: "trust store \"internal\" (proxy_ssl_trusted_certificate)". */
  why: string;
  /** The spec fields it was rendered from. */
  from: SpecPath[];
}

/** What a range of nginx.conf lines is, for the words error mapping puts around it. */
export type SourceKind = 'upstream' | 'route' | 'tls-profile' | 'upstream-map';

export interface LineSource {
  /** 1-based, inclusive. */
  lines: [number, number];
  kind: SourceKind;
  /** The spec fields these lines were rendered from (a TLS profile serves several upstreams). */
  from: SpecPath[];
}

export const MANIFEST_KIND = 'gwctl render manifest';
/** Far above any manifest: one entry per upstream, route and file. */
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Two-space JSON with a final newline, a spec path or line range on one line: stable bytes, readable diffs. */
export function serializeManifest(m: RenderManifest): string {
  // JSON.stringify does the layout; an array of scalars goes in as a placeholder string and comes
  // back on one line. (Built piece by piece in JavaScript, a 20,000-route manifest took 0.4 s and
  // millions of small strings held until the end: docs/benchmark.md.)
  const oneLine: string[] = [];
  let nul = false;
  const text = JSON.stringify(
    m,
    (key: string, value: unknown) => {
      if (key.includes(PLACEHOLDER) || (typeof value === 'string' && value.includes(PLACEHOLDER))) nul = true;
      if (!Array.isArray(value) || !value.every((v) => v === null || typeof v !== 'object')) return value;
      oneLine.push(JSON.stringify(value));
      return `${PLACEHOLDER}${oneLine.length - 1}${PLACEHOLDER}`;
    },
    2,
  );
  // Text of the spec's own with a NUL could look like a placeholder: laid out piece by piece instead.
  if (nul) {
    const out: string[] = [];
    layout(m, '', out);
    return `${out.join('')}\n`;
  }
  return `${text.replace(PLACEHOLDERS, (_m, i: string) => oneLine[Number(i)])}\n`;
}

/** Into one list of pieces, joined once. */
function layout(value: unknown, indent: string, out: string[]): void {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) {
      out.push(JSON.stringify(value));
      return;
    }
    out.push('[\n');
    value.forEach((v, i) => {
      out.push(i ? ',\n' : '', inner);
      layout(v, inner, out);
    });
    out.push('\n', indent, ']');
    return;
  }
  if (value !== null && typeof value === 'object') {
    let first = true;
    for (const k of Object.keys(value)) {
      const v = (value as Record<string, unknown>)[k];
      if (v === undefined) continue;
      out.push(first ? '{\n' : ',\n', inner, JSON.stringify(k), ': ');
      first = false;
      layout(v, inner, out);
    }
    out.push(first ? '{}' : `\n${indent}}`);
    return;
  }
  out.push(JSON.stringify(value));
}

/** NUL (JSON.stringify writes it as \u0000), which the manifest's own text does not hold. */
const PLACEHOLDER = '\u0000';
const PLACEHOLDERS = /"\\u0000(\d+)\\u0000"/g;

/** DIR's manifest when there is one gwctl wrote (well-formed); undefined otherwise. */
export function readManifest(outDir: string): RenderManifest | undefined {
  const bytes = readRegularFileOrUndefined(join(outDir, MANIFEST), MAX_MANIFEST_BYTES);
  if (!bytes) return undefined;
  try {
    return parseManifest(JSON.parse(bytes.toString('utf8')));
  } catch {
    return undefined;
  }
}

/** The manifest when `data` is one, checked field by field; undefined for anything else. */
export function parseManifest(data: unknown): RenderManifest | undefined {
  const m = data as Partial<RenderManifest> | null;
  if (!m || typeof m !== 'object' || m.manifest !== MANIFEST_KIND || m.version !== 1) return undefined;
  const isPath = (p: unknown) =>
    Array.isArray(p) && p.every((s) => typeof s === 'string' || (Number.isInteger(s) && (s as number) >= 0));
  const isLines = (l: unknown) =>
    Array.isArray(l) && l.length === 2 && l.every((n) => Number.isInteger(n) && n >= 1) && l[0] <= l[1];
  const kinds: SourceKind[] = ['upstream', 'route', 'tls-profile', 'upstream-map'];
  const ok =
    typeof m.spec === 'string' &&
    typeof m.nginxConf?.sha256 === 'string' &&
    Number.isInteger(m.nginxConf.lines) &&
    Array.isArray(m.files) &&
    m.files.every(
      (f) =>
        typeof f?.path === 'string' &&
        typeof f.sha256 === 'string' &&
        typeof f.why === 'string' &&
        Array.isArray(f.from) &&
        f.from.every(isPath),
    ) &&
    Array.isArray(m.sources) &&
    m.sources.every(
      (s) => isLines(s?.lines) && kinds.includes(s.kind) && Array.isArray(s.from) && s.from.every(isPath),
    );
  return ok ? (m as RenderManifest) : undefined;
}

/** True when DIR/nginx.conf is, byte for byte, the one the manifest describes. */
export function describesConf(manifest: RenderManifest, conf: Buffer | string): boolean {
  return manifest.nginxConf.sha256 === sha256(conf);
}

/** nginx.conf's line count as the manifest records it. */
export function lineCount(text: string): number {
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/**
 * True when the manifest's line ranges still apply to `conf`: it is the nginx.conf the manifest
 * describes, or one edited by hand without adding or removing lines (a value changed in place).
 */
export function linesStillApply(manifest: RenderManifest, conf: string): boolean {
  return describesConf(manifest, conf) || manifest.nginxConf.lines === lineCount(conf);
}

/** DIR's manifest, when it describes DIR/nginx.conf as it is now (not edited by hand since). */
export function currentManifest(outDir: string): RenderManifest | undefined {
  const manifest = readManifest(outDir);
  if (!manifest) return undefined;
  const conf = readRegularFileOrUndefined(join(outDir, CONF), MAX_CONF_BYTES);
  return conf && describesConf(manifest, conf) ? manifest : undefined;
}

/** The innermost recorded source of a line of nginx.conf. */
export function sourceOfLine(manifest: RenderManifest, line: number): LineSource | undefined {
  return manifest.sources
    .filter((s) => line >= s.lines[0] && line <= s.lines[1])
    .sort((a, b) => a.lines[1] - a.lines[0] - (b.lines[1] - b.lines[0]))[0];
}
