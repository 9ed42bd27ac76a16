import type { SpecPath } from '../diagnostics/diagnostic.js';
import type { GatewaySpec } from '../load/spec-types.js';
import { suggest } from '../validate/suggest.js';
import type { Check, Finding } from './types.js';

interface Reference {
  kind: 'trust store' | 'client certificate' | 'upstream';
  name: string;
  path: SpecPath;
}

/** Every name the spec refers to, in spec order. */
function references(spec: GatewaySpec): Reference[] {
  const out: Reference[] = [];
  for (const [name, up] of Object.entries(spec.upstreams ?? {})) {
    const tls = up.tls;
    if (tls?.trustStore !== undefined)
      out.push({ kind: 'trust store', name: tls.trustStore, path: ['upstreams', name, 'tls', 'trustStore'] });
    if (tls?.clientCertificate !== undefined)
      out.push({
        kind: 'client certificate',
        name: tls.clientCertificate,
        path: ['upstreams', name, 'tls', 'clientCertificate'],
      });
  }
  (spec.routes ?? []).forEach((r, i) =>
    out.push({ kind: 'upstream', name: r.upstream, path: ['routes', i, 'upstream'] }),
  );
  return out;
}

function declared(spec: GatewaySpec, kind: Reference['kind']): string[] {
  if (kind === 'trust store') return Object.keys(spec.trustStores ?? {});
  if (kind === 'client certificate') return Object.keys(spec.clientCertificates ?? {});
  return Object.keys(spec.upstreams ?? {});
}

export const refUnknown: Check = {
  code: 'ref.unknown',
  severity: 'error',
  scope: 'references',
  needs: 'spec',
  summary: 'A name refers to no trust store, client certificate or upstream',
  help: 'Declare the name, or correct the reference (gwctl suggests the closest declared name).',
  run: ({ spec }) =>
    references(spec).flatMap((ref): Finding[] => {
      const known = declared(spec, ref.kind);
      if (known.includes(ref.name)) return [];
      const hint = suggest(ref.name, known);
      return [
        {
          path: ref.path,
          message: `no ${ref.kind} named "${ref.name}"${hint ? `: did you mean "${hint}"?` : known.length ? ` (declared: ${known.join(', ')})` : ` (none declared)`}`,
        },
      ];
    }),
};

export const refUnused: Check = {
  code: 'ref.unused',
  severity: 'warning',
  scope: 'references',
  needs: 'spec',
  summary: 'A trust store, client certificate or upstream is declared but never used',
  help: 'Remove it, or refer to it where it was meant to be used (a typo in the reference shows as ref.unknown).',
  run: ({ spec }) => {
    const used = references(spec);
    const unused = (kind: Reference['kind'], section: string, what: string) =>
      declared(spec, kind)
        .filter((name) => !used.some((r) => r.kind === kind && r.name === name))
        .map((name) => ({ path: [section, name], message: `${kind} "${name}" is not used by any ${what}` }));
    return [
      ...unused('trust store', 'trustStores', 'upstream'),
      ...unused('client certificate', 'clientCertificates', 'upstream'),
      ...unused('upstream', 'upstreams', 'route'),
    ];
  },
};
