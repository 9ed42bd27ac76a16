import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { REPO_ROOT } from '../support/gwctl.js';

/*
 * A clone is all a reader has: every relative link in the Markdown resolves to a file of the
 * repository, and nothing the repository ships names a file outside it (the notes the project was
 * planned in are not part of a clone).
 */

const SKIP_DIRS = new Set(['.git', 'node_modules', 'dist', '.bench']);

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (SKIP_DIRS.has(e.name)) return []; // .git is a file in a worktree
    if (e.isDirectory()) return files(join(dir, e.name));
    return e.isFile() ? [join(dir, e.name)] : [];
  });
}

const ALL = files(REPO_ROOT).map((f) => relative(REPO_ROOT, f));
const MARKDOWN = ALL.filter((f) => f.endsWith('.md'));

test('every relative link in README.md and the docs resolves to a file in the repository', () => {
  assert.ok(MARKDOWN.includes('README.md') && MARKDOWN.some((f) => f.startsWith(`docs${sep}`)));
  const broken: string[] = [];
  for (const file of MARKDOWN) {
    const text = readFileSync(join(REPO_ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue; // a URL, or this page
      const path = resolve(REPO_ROOT, dirname(file), decodeURIComponent(target.split('#')[0]));
      const inside = !relative(REPO_ROOT, path).startsWith('..');
      if (!inside || !existsSync(path)) broken.push(`${file}: ${target}`);
    }
  }
  assert.deepEqual(broken, []);
});

test('nothing in the repository refers to the planning notes outside it', () => {
  const self = relative(REPO_ROOT, join(REPO_ROOT, 'test/docs/links.test.ts'));
  // Spelled in pieces so that this file does not match itself.
  const outside = new RegExp(['\\.\\./shared', '/work/', 'NGINX-FACTS', 'CONTRACT\\.md', 'DESIGN\\.md'].join('|'));
  const found = ALL.filter((f) => f !== self && statSync(join(REPO_ROOT, f)).size < 4_000_000)
    .filter((f) => !f.endsWith('.tgz'))
    .flatMap((f) =>
      readFileSync(join(REPO_ROOT, f), 'utf8')
        .split('\n')
        .flatMap((line, i) => (outside.test(line) ? [`${f}:${i + 1}`] : [])),
    );
  assert.deepEqual(found, []);
});

test('README.md stays under 10 KB: reference material lives in docs/', () => {
  assert.ok(statSync(join(REPO_ROOT, 'README.md')).size < 10 * 1024);
});
