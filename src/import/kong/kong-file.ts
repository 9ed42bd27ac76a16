import { resolve } from 'node:path';
import { FatalError } from '../../diagnostics/diagnostic.js';
import { parseSpecBytes, type LoadedSpec } from '../../load/load-spec.js';
import { readRegularFile } from '../../load/read-file.js';
import { hasUnsafeCharacters, show } from '../../text/show.js';
import { Findings } from './findings.js';
import { isRecord, type Entity } from './fields.js';

/** A Kong config with thousands of services and inline certificates is large, but not this large. */
export const MAX_KONG_BYTES = 32 * 1024 * 1024;

/** The declarative formats Kong reads (kong/db/schema/others/declarative_config.lua). */
export const FORMAT_VERSIONS = ['1.1', '2.1', '3.0'] as const;
export type FormatVersion = (typeof FORMAT_VERSIONS)[number];

export interface KongFile {
  loaded: LoadedSpec;
  root: Entity;
  format: FormatVersion;
}

/**
 * Reads a Kong declarative file (kong.yml, or decK's YAML or JSON) with the same bounded reader
 * and YAML rules as a spec: no tags, aliases bounded, one document. Returns the findings so far;
 * `kong` is absent when the file cannot be mapped at all. Throws FatalError (exit 2) when it
 * cannot be read.
 */
export function readKongFile(path: string, cwd: string): { kong?: KongFile; findings: Findings } {
  if (hasUnsafeCharacters(path))
    throw new FatalError(`${show(path)}: the file name contains control or invisible characters; rename it`);
  const file = resolve(cwd, path);
  const r = readRegularFile(file, MAX_KONG_BYTES);
  if ('problem' in r) throw new FatalError(`${path}: ${r.problem.message}`);
  return parseKong(r.data, file);
}

/** The same for bytes already read; `file` is the name positions refer to. */
export function parseKong(bytes: Buffer, file: string): { kong?: KongFile; findings: Findings } {
  const loaded = parseSpecBytes(bytes, file);
  const findings = new Findings(loaded);
  findings.list.push(...loaded.diagnostics);
  if (loaded.data === undefined || findings.failed) return { findings };
  if (!isRecord(loaded.data)) {
    findings.error(
      'kong.invalid',
      'a Kong declarative config is a map with _format_version, services, routes, ...',
      [],
    );
    return { findings };
  }
  const root: Entity = { data: loaded.data, path: [] };
  const version = loaded.data._format_version;
  if (version === undefined) {
    findings.error(
      'kong.format-version',
      `_format_version is missing: Kong requires it (one of ${FORMAT_VERSIONS.join(', ')}); decK writes "3.0" for Kong 3.x`,
      [],
    );
    return { findings };
  }
  if (typeof version !== 'string' || !(FORMAT_VERSIONS as readonly string[]).includes(version)) {
    const numeric =
      typeof version === 'number'
        ? ` (write it quoted, "${version.toFixed(1)}": unquoted YAML reads it as a number)`
        : '';
    findings.error(
      'kong.format-version',
      `_format_version ${show(version)} is not one Kong reads: ${FORMAT_VERSIONS.map((v) => `"${v}"`).join(', ')}${numeric}`,
      ['_format_version'],
    );
    return { findings };
  }
  return { kong: { loaded, root, format: version as FormatVersion }, findings };
}
