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
  // JSON.stringify lays it out. An array of scalars goes in as a placeholder string and comes
  // back on one line: lighter and faster than finding such arrays in the text afterwards
  // (oneLineArrays()), which is what a manifest holding a NUL of its own gets, since its text
  // could then look like a placeholder. (Built piece by piece in JavaScript, a 20,000-route
  // manifest took 0.4 s and millions of small strings held until the end: docs/benchmark.md.)
  const arrays: string[] = [];
  let nul = false;
  const text = JSON.stringify(
    m,
    (key: string, value: unknown) => {
      if (key.includes('\u0000') || (typeof value === 'string' && value.includes('\u0000'))) nul = true;
      if (!Array.isArray(value) || !value.every((v) => v === null || typeof v !== 'object')) return value;
      arrays.push(JSON.stringify(value));
      return `\u0000${arrays.length - 1}\u0000`;
    },
    2,
  );
  if (nul) return `${oneLineArrays(JSON.stringify(m, null, 2))}\n`;
  return `${text.replace(PLACEHOLDER, (_m, i: string) => arrays[Number(i)])}\n`;
}

/** A placeholder as JSON.stringify writes it. */
const PLACEHOLDER = /"\\u0000(\d+)\\u0000"/g;

/**
 * Every multi-line array of scalars put on one line. A JSON string holds no raw line break, so
 * the pattern only ever matches whole elements (JSON.stringify writes `[]` for an empty array).
 */
function oneLineArrays(json: string): string {
  return json.replace(SCALAR_ARRAY, (_m, items: string) => `[${items.replace(/,\n */g, ',')}]`);
}

const SCALAR = String.raw`(?:"(?:[^"\\\n]|\\.)*"|-?\d[\d.eE+-]*|true|false|null)`;
const SCALAR_ARRAY = new RegExp(String.raw`\[\n *(${SCALAR}(?:,\n *${SCALAR})*)\n *\]`, 'g');

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
