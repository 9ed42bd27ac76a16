import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { showPath } from '../text/show.js';
import type { Check } from './types.js';
import { MODULE_FILES, resolvePath } from '../tls/material.js';

/**
 * Stock nginx loads the Lua module from modulesPath. Only a path the spec sets is checked: the
 * default may well be right on the machine that runs the output, not on the one rendering it.
 */
export const runtimeModulesMissing: Check = {
  code: 'runtime.modules-missing',
  severity: 'warning',
  scope: 'runtime',
  needs: 'material',
  summary: 'runtime.modulesPath lacks the Lua module files on this machine',
  help: 'With `flavor: nginx`, nginx.conf loads ndk_http_module.so and ngx_http_lua_module.so from modulesPath. Fine if the output runs on another machine that has them; otherwise install libnginx-mod-http-lua or correct the path.',
  run: ({ spec, specDir }) => {
    const modulesPath = spec.runtime?.modulesPath;
    if (modulesPath === undefined || (spec.runtime?.flavor ?? 'openresty') !== 'nginx') return [];
    const dir = resolvePath(specDir, modulesPath);
    const missing = MODULE_FILES.filter((m) => !existsSync(join(dir, m)));
    if (!missing.length) return [];
    return [
      {
        path: ['runtime', 'modulesPath'],
        message: `${showPath(modulesPath)} holds no ${missing.join(' or ')} on this machine: nginx -t here would fail on load_module (fine if the output runs on another machine that has them)`,
      },
    ];
  },
};
