import { CHECKS, CODES } from './index.js';
import type { CodeInfo, Scope } from './types.js';

/** The section each scope is listed under, in pipeline order. */
const SECTIONS: [Scope, string][] = [
  ['yaml', 'YAML'],
  ['schema', 'Schema'],
  ['paths', 'File paths'],
  ['runtime', 'Runtime'],
  ['listen', 'Listeners'],
  ['upstream', 'Upstreams, status listener and health checks'],
  ['upstream-tls', 'Upstream TLS settings'],
  ['route', 'Routes'],
  ['references', 'References between names'],
  ['trust-store', 'Trust stores'],
  ['files', 'Certificate, key and other files'],
  ['chain', 'Upstream certificate chains (the chain engine)'],
  ['client-certificate', 'Client certificates'],
  ['output', 'Rendered output'],
  ['nginx', 'nginx -t'],
  ['probe', 'gwctl probe'],
  ['import', 'gwctl import kong'],
  ['probe', 'gwctl probe (live upstreams)'],
  ['run', 'The run itself'],
];

/** `tls.protocols-legacy` → `tls-protocols-legacy`: the anchor of its entry in docs/diagnostics.md. */
export function codeAnchor(code: string): string {
  return code.replace(/\./g, '-');
}

export const DIAGNOSTICS_DOC = 'docs/diagnostics.md';

/** docs/diagnostics.md, generated from the registry (`npm run docs:diagnostics`). */
export function diagnosticsMarkdown(): string {
  const checks = new Set(CHECKS.map((c) => c.code));
  const out = [
    '# Diagnostic codes',
    '',
    '<!-- Generated from src/checks/ by `npm run docs:diagnostics`; do not edit by hand. -->',
    '',
    'Every problem gwctl reports has a stable code, shown in brackets in human output and as',
    '`code` (JSON), `title` (GitHub annotations) or `ruleId` (SARIF). Severities: `error` fails the',
    'command (exit 1), `warning` fails it with `--fail-severity warning`, `info` never does.',
    '"check" marks a rule of the spec registered in src/checks/index.ts; the other codes are',
    'reported by the loaders, the chain engine, render and nginx -t.',
    '',
    `${CODES.length} codes.`,
    '',
  ];
  for (const [scope, title] of SECTIONS) {
    const codes = CODES.filter((c) => c.scope === scope);
    if (!codes.length) continue;
    out.push(`## ${title}`, '', '| code | severity | summary |', '| --- | --- | --- |');
    for (const c of codes) out.push(`| [\`${c.code}\`](#${codeAnchor(c.code)}) | ${c.severity} | ${cell(c.summary)} |`);
    out.push('');
    for (const c of codes) out.push(...entry(c, checks.has(c.code)));
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function entry(c: CodeInfo, isCheck: boolean): string[] {
  return [
    `<a id="${codeAnchor(c.code)}"></a>`,
    `### \`${c.code}\``,
    '',
    `${c.severity}${isCheck ? ', check' : ''}. ${c.summary}.`,
    '',
    c.help,
    '',
  ];
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|');
}
