import { readFileSync } from 'node:fs';

/** Where a V8 CPU profile (node --cpu-prof) spends its self time, as text for docs/benchmark.md. */
export interface ProfileSummary {
  totalMs: number;
  /** Self time by package (node_modules/NAME), gwctl source directory (src/DIR) or Node internals. */
  groups: [string, number][];
  /** Self time by function: "name file:line". */
  functions: [string, number][];
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

export function summariseProfile(file: string, repo: string): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const selfUs = new Map<number, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const d = p.timeDeltas[i] ?? 0;
    total += d;
    selfUs.set(id, (selfUs.get(id) ?? 0) + d);
  });
  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  for (const n of p.nodes) {
    const us = selfUs.get(n.id);
    if (!us) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const path = url.replace(`file://${repo}`, '').replace(/^\/?dist\//, '');
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
    const group = pkg
      ? pkg
      : path.startsWith('src/')
        ? path
            .split('/')
            .slice(0, path.split('/').length > 3 ? 3 : 2)
            .join('/')
        : url.startsWith('node:')
          ? `Node.js: ${url.replace(/^node:(internal\/)?/, '')}`
          : `(${functionName || 'native'})`;
    add(groups, group, us);
    const short = pkg ? `${pkg}/…/${path.split('/').pop()}` : path.startsWith('src/') ? path : url || '(native)';
    add(functions, `${functionName || '(anonymous)'} ${short}${url ? `:${lineNumber + 1}` : ''}`, us);
  }
  const top = (m: Map<string, number>): [string, number][] =>
    [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, v / 1000]);
  return { totalMs: total / 1000, groups: top(groups), functions: top(functions) };
}
