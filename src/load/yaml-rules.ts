import type { Document, YAMLError } from 'yaml';
import { yamlLib } from './yaml-lib.js';

/**
 * What gwctl accepts beyond well-formed YAML. The parser can be talked into other languages
 * (`%YAML 1.1`: `off` is false, `<<` merges, `017` is octal, `2:14:00` is a number), into other
 * types (`!!float 8080`), or into silently changed data (a map as a key is stringified), and its
 * own messages name its API ("please use YAML.parseAllDocuments()"). These rules turn each of
 * those into an error at its position, in the spec's terms.
 */
export interface YamlRuleProblem {
  code: string;
  message: string;
  /** Offset in the text. */
  offset: number;
}

/**
 * The parser's own errors and warnings, in the spec's terms: a problem, `null` when a rule of
 * yamlRuleProblems reports it, or undefined when the parser's wording stands.
 */
export function explainParserProblem(e: YAMLError, text: string): YamlRuleProblem | null | undefined {
  if (e.code === 'MULTIPLE_DOCS') {
    return {
      code: 'yaml.multiple-documents',
      message:
        'a spec is one YAML document, and a second one starts here: remove this "---" and what follows, or put it in its own spec file',
      offset: e.pos[0],
    };
  }
  // Reported by yamlRuleProblems, with every other tag and the version.
  if (e.code === 'TAG_RESOLVE_FAILED') return null;
  if (e.code === 'BAD_DIRECTIVE' && text.startsWith('%YAML', text.lastIndexOf('\n', e.pos[0] - 1) + 1)) return null;
  return undefined;
}

/** Problems with a document the parser accepted. */
export function yamlRuleProblems(doc: Document, text: string): YamlRuleProblem[] {
  const out: YamlRuleProblem[] = [];
  const version = versionProblem(doc, text);
  if (version) out.push(version);
  // One function visitor: with per-type visitors, `Scalar` would hide `Node` for scalars.
  const { isAlias, isCollection, isNode, isPair, isScalar, isSeq, visit } = yamlLib();
  visit(doc, (_key, node) => {
    if (isPair(node)) {
      if (isCollection(node.key) || isAlias(node.key)) {
        const at = (node.key as { range?: [number, number, number] }).range?.[0] ?? 0;
        out.push({
          code: 'yaml.complex-key',
          message: `a map key must be plain text, not ${isAlias(node.key) ? 'an alias' : isSeq(node.key) ? 'a list' : 'a map'}`,
          offset: at,
        });
      }
      return;
    }
    if (isScalar(node) && typeof node.value === 'string' && LONE_SURROGATE.test(node.value)) {
      // "\ud800" is half a surrogate pair, no character: output would turn it into U+FFFD.
      out.push({
        code: 'yaml.lone-surrogate',
        message:
          'this text holds a lone surrogate (an escape such as "\\ud800" that is half of a pair): it is not a character and cannot be written as UTF-8; write the character itself or its full pair',
        offset: node.range?.[0] ?? 0,
      });
    }
    if (isNode(node) && node.tag !== undefined && node.range) {
      const start = tagStart(text, node.range[0]);
      out.push(tagProblem(text.slice(start, tokenEnd(text, start)), start));
    }
  });
  return out;
}

/** With the `u` flag a well-formed pair is one character: only halves on their own match. */
const LONE_SURROGATE = /[\ud800-\udfff]/u;

/** Only YAML 1.2: a %YAML directive for any other version is refused (the parser would switch to it). */
function versionProblem(doc: Document, text: string): YamlRuleProblem | undefined {
  if (!doc.directives?.yaml.explicit) return undefined;
  const m = /^%YAML[ \t]+(\S*)/m.exec(text);
  if (!m || m[1] === '1.2') return undefined;
  return {
    code: 'yaml.version',
    message: `"%YAML ${m[1].slice(0, 10)}": gwctl reads specs as YAML 1.2 only (YAML 1.1 reads off/no as false, "<<" as a merge, 017 as octal and 2:14:00 as a number); remove the directive`,
    offset: m.index,
  };
}

function tagProblem(tag: string, offset: number): YamlRuleProblem {
  const shown = tag.length > 40 || /[^\x21-\x7e]/.test(tag) ? 'explicit' : JSON.stringify(tag);
  return {
    code: 'yaml.tag',
    message: `YAML tags (here ${shown}) are not supported in a spec: write the value itself (8080, true, "text"), and the schema says which type each field takes`,
    offset,
  };
}

/** The tag token before a node's value: back over whitespace and an anchor (`!!str &a x`). */
function tagStart(text: string, valueStart: number): number {
  let i = valueStart;
  for (let tokens = 0; tokens < 3; tokens++) {
    while (i > 0 && /[ \t\n\r]/.test(text[i - 1])) i--;
    let start = i;
    while (start > 0 && !/[ \t\n\r]/.test(text[start - 1])) start--;
    if (text[start] === '!') return start;
    if (text[start] !== '&') break;
    i = start;
  }
  return valueStart;
}

function tokenEnd(text: string, start: number): number {
  let end = start;
  while (end < text.length && !/[ \t\n\r]/.test(text[end])) end++;
  return end;
}
