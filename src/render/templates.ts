import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import type { RenderModel } from '../plan/render-model.js';
import { bare, comment, integer, quote, quoteLiteral, variable } from './quote.js';

const TEMPLATES = fileURLToPath(new URL('../../../templates/', import.meta.url));
const PARTIALS = ['upstream', 'server', 'route', 'profile'];

let compiled: Handlebars.TemplateDelegate<RenderModel> | undefined;

/** Handlebars with no HTML escaping: nginx quoting is done explicitly by the helpers. */
function engine(): Handlebars.TemplateDelegate<RenderModel> {
  if (compiled) return compiled;
  const hb = Handlebars.create();
  hb.registerHelper({ quote, quoteLiteral, variable, bare, integer, comment });
  for (const name of PARTIALS) hb.registerPartial(name, readFileSync(`${TEMPLATES}partials/${name}.hbs`, 'utf8'));
  compiled = hb.compile<RenderModel>(readFileSync(`${TEMPLATES}nginx.conf.hbs`, 'utf8'), { noEscape: true, preventIndent: true });
  return compiled;
}

export function renderNginxConf(model: RenderModel): string {
  return engine()(model);
}
