import type { OutputFile, RenderModel } from '../plan/render-model.js';
import { CONF, MANIFEST } from '../output/layout.js';
import { MANIFEST_KIND, type RenderManifest, lineCount, serializeManifest, sha256 } from '../output/manifest.js';
import { renderWithSources } from './templates.js';

/**
 * Everything a render writes into DIR: nginx.conf, the files of the model, and the manifest that
 * describes them (src/output/manifest.ts), last. `specFile` is the spec's file name only.
 */
export function renderOutput(model: RenderModel, specFile: string): OutputFile[] {
  const { text, sources } = renderWithSources(model);
  const manifest: RenderManifest = {
    manifest: MANIFEST_KIND,
    version: 1,
    spec: specFile,
    nginxConf: { sha256: sha256(text), lines: lineCount(text) },
    files: model.files.map((f) => ({
      path: f.path,
      sha256: sha256(f.content),
      why: f.why ?? '',
      from: f.from ?? [],
    })),
    sources,
  };
  return [{ path: CONF, content: text }, ...model.files, { path: MANIFEST, content: serializeManifest(manifest) }];
}
