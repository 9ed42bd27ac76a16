import { parsePem, type PemKind } from '../../tls/pem.js';
import type { Entity } from './fields.js';
import type { Findings } from './findings.js';

/**
 * Inline PEM from a Kong entity as the text of a PEM file: blocks of the wanted kind only, LF line
 * ends (Windows editors and some exporters write CRLF, which Kong accepts), one final newline.
 * Undefined after an error at the field: a vault reference (`{vault://...}`) gwctl cannot
 * resolve, or text that holds no such PEM block.
 */
export function inlinePem(e: Entity, key: string, kind: PemKind, findings: Findings): string | undefined {
  const v = e.data[key];
  if (typeof v !== 'string' || v.trim() === '') {
    findings.error('kong.invalid', `${key}: expected PEM text`, [...e.path, key]);
    return undefined;
  }
  if (/^\{vault:\/\//.test(v.trim())) {
    findings.error(
      'kong.vault-reference',
      `${key} is a Kong vault reference (${v.trim().slice(0, 60)}): gwctl cannot read Kong's vaults; put the PEM itself in the file to import it`,
      [...e.path, key],
    );
    return undefined;
  }
  const parsed = parsePem(Buffer.from(v, 'utf8'), kind);
  if ('problem' in parsed) {
    findings.error('kong.bad-pem', `${key} ${parsed.problem.message}`, [...e.path, key]);
    return undefined;
  }
  if (parsed.blocks.length === 0) {
    findings.error('kong.bad-pem', `${key} holds no ${kind === 'key' ? 'private key' : 'certificate'} in PEM form`, [
      ...e.path,
      key,
    ]);
    return undefined;
  }
  return `${parsed.blocks.map((b) => b.text.trimEnd()).join('\n')}\n`;
}
