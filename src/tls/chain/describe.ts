import type { ChainFinding, CertSource } from '../verdict.js';

import { asnTimeSeconds } from './time.js';
import type { ChainCert } from './types.js';

const WORDS = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];

export function count(n: number, noun: string): string {
  return `${WORDS[n] ?? String(n)} ${noun}${n === 1 ? '' : 's'}`;
}

export function quoteName(c: ChainCert): string {
  return `'${c.subjectText || '(empty subject)'}'`;
}

export function isoDate(t: ChainCert['notAfter']): string {
  const s = asnTimeSeconds(t);
  return s === null ? `"${t.text}"` : new Date(s * 1000).toISOString().replace('.000Z', 'Z');
}

export function finding(
  severity: ChainFinding['severity'],
  code: string,
  message: string,
  source?: CertSource,
): ChainFinding {
  const f: ChainFinding = { severity, code, message };
  if (source) {
    f.file = source.file;
    f.line = source.block.line;
  }
  return f;
}

export function storeLabel(name: string | undefined): string {
  return name ? `trust store '${name}'` : 'the trusted certificates';
}
