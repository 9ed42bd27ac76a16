import { workspaceRelative } from './paths.js';
import { pathToFileURL } from 'node:url';
import type { Log, Notification, ReportingDescriptor, Result } from 'sarif';
import { codeInfo } from '../checks/index.js';
import { DIAGNOSTICS_DOC, codeAnchor } from '../checks/docs.js';
import { formatPath, type Diagnostic, type Fatal, type Severity } from '../diagnostics/diagnostic.js';
import { boundMessage } from './bound.js';

/**
 * SARIF 2.1.0 for code scanning (GitHub's `upload-sarif` and other viewers): one run, one rule
 * per diagnostic code seen, one result per diagnostic. Paths inside the working directory are
 * relative to the `%SRCROOT%` base (the working directory), which code scanning maps onto the
 * repository; a file outside it keeps an absolute file: URI.
 */
export interface SarifOptions {
  cwd: string;
  toolVersion: string;
}

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
export const SRCROOT = '%SRCROOT%';

const LEVEL: Record<Severity, Result.level> = { error: 'error', warning: 'warning', info: 'note' };

export function formatSarif(
  diagnostics: readonly Diagnostic[],
  opts: SarifOptions,
  fatal: readonly Fatal[] = [],
): string {
  return `${JSON.stringify(sarifLog(diagnostics, opts, fatal), null, 2)}\n`;
}

/**
 * `fatal`: what stopped gwctl (an unreadable spec, bad arguments). The run then has an
 * invocation with executionSuccessful false and one toolExecutionNotification each, so an upload
 * step sees a failed analysis rather than a clean one.
 */
export function sarifLog(diagnostics: readonly Diagnostic[], opts: SarifOptions, fatal: readonly Fatal[] = []): Log {
  const rules: ReportingDescriptor[] = [];
  const ruleIndex = new Map<string, number>();
  for (const d of diagnostics) {
    if (ruleIndex.has(d.code)) continue;
    ruleIndex.set(d.code, rules.length);
    rules.push(rule(d));
  }
  const results: Result[] = diagnostics.map((d) => result(d, ruleIndex.get(d.code)!, opts));
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'gwctl', version: opts.toolVersion, semanticVersion: opts.toolVersion, rules } },
        originalUriBaseIds: { [SRCROOT]: { uri: directoryUri(opts.cwd) } },
        // Columns come from the YAML parser's string offsets: UTF-16 code units.
        columnKind: 'utf16CodeUnits',
        results,
        ...(fatal.length
          ? {
              invocations: [
                { executionSuccessful: false, toolExecutionNotifications: fatal.map((f) => notification(f, opts.cwd)) },
              ],
            }
          : {}),
      },
    ],
  };
}

function notification(f: Fatal, cwd: string): Notification {
  return {
    level: 'error',
    message: { text: boundMessage(f.message) },
    ...(f.spec !== undefined ? { locations: [{ physicalLocation: { artifactLocation: artifact(f.spec, cwd) } }] } : {}),
  };
}

/** A rule's metadata comes from the registry (src/checks/): its summary, help and default severity. */
function rule(d: Diagnostic): ReportingDescriptor {
  const area = d.code.split('.')[0] ?? d.code;
  const info = codeInfo(d.code);
  return {
    id: d.code,
    name: d.code.replace(/(^|[.-])([a-z0-9])/g, (_m, _s: string, c: string) => c.toUpperCase()),
    shortDescription: { text: info?.summary ?? `gwctl ${area} check` },
    ...(info ? { help: { text: `${info.help} (${DIAGNOSTICS_DOC}#${codeAnchor(d.code)})` } } : {}),
    defaultConfiguration: { level: LEVEL[info?.severity ?? d.severity] },
    properties: { tags: ['gwctl', area] },
  };
}

function result(d: Diagnostic, index: number, opts: SarifOptions): Result {
  // Code scanning gets every result (it has its own limits and groups them), each message bounded.
  const r: Result = {
    ruleId: d.code,
    ruleIndex: index,
    level: LEVEL[d.severity],
    message: { text: boundMessage(d.message) },
  };
  const logical = d.path.length ? [{ fullyQualifiedName: formatPath(d.path), kind: 'member' }] : undefined;
  if (d.file) {
    r.locations = [
      {
        physicalLocation: {
          artifactLocation: artifact(d.file, opts.cwd),
          ...(d.line ? { region: { startLine: d.line, ...(d.column ? { startColumn: d.column } : {}) } } : {}),
        },
        ...(logical ? { logicalLocations: logical } : {}),
      },
    ];
  } else if (logical) {
    r.locations = [{ logicalLocations: logical }];
  }
  return r;
}

function artifact(file: string, cwd: string): { uri: string; uriBaseId?: string } {
  const rel = workspaceRelative(file, cwd);
  return rel !== undefined ? { uri: encodeRelative(rel), uriBaseId: SRCROOT } : { uri: pathToFileURL(file).href };
}

/** A relative URI reference: each segment percent-encoded, `/` kept. */
function encodeRelative(p: string): string {
  return p
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}

function directoryUri(dir: string): string {
  const href = pathToFileURL(dir).href;
  return href.endsWith('/') ? href : `${href}/`;
}
