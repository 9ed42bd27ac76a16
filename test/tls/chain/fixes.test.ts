import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FixStep } from '../../../src/diagnostics/fix.js';
import { verifyChain } from '../../../src/tls/chain/index.js';
import type { ChainFinding, ChainVerdict } from '../../../src/tls/verdict.js';
import {
  FixApplier,
  FixNotApplicable,
  pkiUniverse,
  readHeld,
  writeHeld,
  type UpstreamState,
} from '../../support/apply-fix.js';
import { compare, sources } from './harness.js';
import { buildScenarios, type Scenario } from './scenarios.js';

/**
 * Every fix the engine advises, applied. For every scenario × depth × name of the differential
 * matrix that nginx rejects, the fixes of its error findings are applied mechanically (the
 * certificates they name, into the files they name; the depth; the order; the name) and the
 * result verified again, by gwctl and by libcrypto under nginx's profile. It must pass, or the
 * advice must say that the fix lies outside the spec (reissue or renew a certificate). Each
 * finding's alternative fix is applied on its own as well. A fix is re-applied at most twice more
 * (a user re-runs gwctl after fixing), and the figures report how many rounds were needed.
 */
const DEPTHS = [0, 1, 2, 3, 100];
const MAX_ROUNDS = 4;

let scenarios: Scenario[] = [];
let pkiDir = '';
let work = '';

before(async () => {
  const built = await buildScenarios();
  scenarios = built.scenarios;
  pkiDir = built.pki.dir;
  work = mkdtempSync(join(tmpdir(), 'gwctl-fixes-'));
});

after(() => {
  rmSync(dirname(pkiDir), { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

let fileNo = 0;
function files(s: UpstreamState): { trusted: string; chain: string } {
  fileNo++;
  return {
    trusted: writeHeld(join(work, `${fileNo}.trusted.pem`), s.trusted),
    chain: writeHeld(join(work, `${fileNo}.chain.pem`), s.chain),
  };
}

function verdictOf(s: UpstreamState, at: Date): ChainVerdict {
  const f = files(s);
  return verifyChain({
    presented: sources(f.chain),
    trusted: sources(f.trusted),
    depth: s.depth,
    name: s.name,
    protocols: s.protocols,
    at,
    trustStoreName: 'internal',
  });
}

const errors = (v: ChainVerdict) => v.findings.filter((f) => f.severity === 'error');
const outside = (steps: FixStep[]) => steps.some((x) => x.kind === 'outside-spec');

/** The words of the finding name what its fix does: each certificate, the depth, the name. */
function consistent(f: ChainFinding, steps: FixStep[]): string | null {
  for (const step of steps) {
    const named =
      step.kind === 'add-issuers'
        ? [step.issuer]
        : step.kind === 'reorder-chain'
          ? step.order.map((r) => r.subject)
          : step.kind === 'add-certificate' || step.kind === 'remove-certificate' || step.kind === 'drop-trust-settings'
            ? [step.certificate.subject]
            : step.kind === 'outside-spec' && step.certificate
              ? [step.certificate.subject]
              : [];
    for (const subject of named)
      if (!f.message.includes(`'${subject}'`)) return `${step.kind} names '${subject}', the message does not`;
    if (step.kind === 'set-verify-depth' && !f.message.includes(`set verifyDepth to ${step.value}`))
      return `set-verify-depth ${step.value}, the message does not say so`;
    if (step.kind === 'add-protocol' && !f.message.includes(`Add ${step.value} to protocols`))
      return `add-protocol ${step.value}, the message does not say so`;
    if (step.kind === 'set-server-name' && !/serverName/.test(f.message))
      return 'set-server-name, the message does not mention serverName';
    if (step.kind === 'outside-spec' && !/reissue|renew|serve (one|a certificate)/i.test(f.message))
      return 'outside-spec, the message does not say to reissue or renew';
  }
  return null;
}

type Result = { kind: 'fixed'; rounds: number } | { kind: 'outside-spec'; codes: string[] };

/** Applies the advice round after round until nginx would accept, or the advice leaves the spec. */
function follow(applier: FixApplier, start: UpstreamState, first: FixStep[] | null, label: string, at: Date): Result {
  let state = start;
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const v = verdictOf(state, at);
    if (v.ok) return { kind: 'fixed', rounds: round - 1 };
    const errs = errors(v);
    assert.ok(errs.length > 0, `${label}: rejected without an error finding`);
    const steps: FixStep[] = [];
    for (const f of errs) {
      assert.ok(f.fix, `${label}: ${f.code} advises no fix: ${f.message}`);
      const problem = consistent(f, f.fix.steps) ?? (f.fix.alternative ? consistent(f, f.fix.alternative) : null);
      assert.equal(problem, null, `${label}: ${f.code}: ${problem}: ${f.message}`);
    }
    if (round === 1 && first) steps.push(...first);
    else for (const f of errs) steps.push(...f.fix!.steps);
    if (outside(steps)) return { kind: 'outside-spec', codes: errs.map((f) => f.code) };
    let next: UpstreamState | null;
    try {
      next = applier.apply(state, steps);
    } catch (e) {
      if (e instanceof FixNotApplicable) assert.fail(`${label}: the advice cannot be applied: ${e.message}`);
      throw e;
    }
    assert.ok(next, label);
    assert.notDeepEqual(
      [next.chain.map((c) => c.pem), next.trusted.map((c) => c.pem), next.depth, next.name, next.protocols],
      [state.chain.map((c) => c.pem), state.trusted.map((c) => c.pem), state.depth, state.name, state.protocols],
      `${label}: applying ${JSON.stringify(steps)} changes nothing`,
    );
    state = next;
  }
  const v = verdictOf(state, at);
  assert.ok(v.ok, `${label}: still rejected after ${MAX_ROUNDS} rounds of advice: ${JSON.stringify(errors(v))}`);
  // libcrypto under nginx's profile agrees that the fixed upstream verifies.
  const f = files(state);
  const c = compare(label, f.trusted, f.chain, state.depth, state.name, at);
  assert.equal(c.openssl.code, null, `${label}: libcrypto still rejects the fixed chain: ${JSON.stringify(c.openssl)}`);
  return { kind: 'fixed', rounds: MAX_ROUNDS };
}

test('every fix advised for a differential scenario works when applied, or says it is outside the spec', (t) => {
  const at = new Date();
  const applier = new FixApplier(pkiUniverse(pkiDir));
  const figures = { runs: 0, rejected: 0, fixed: 0, outside: 0, alternatives: 0, rounds: new Map<number, number>() };
  const outsideCodes = new Map<string, number>();
  const fixedScenarios = new Set<string>();
  const outsideScenarios = new Set<string>();
  for (const s of scenarios) {
    for (const depth of DEPTHS) {
      for (const name of s.names) {
        figures.runs++;
        const start: UpstreamState = { chain: readHeld(s.chain), trusted: readHeld(s.trusted), depth, name };
        const label = `${s.name} | depth ${depth} | name ${name ?? '(none)'}`;
        const v = verdictOf(start, at);
        if (v.ok) continue;
        figures.rejected++;
        const r = follow(applier, start, null, label, at);
        if (r.kind === 'fixed') {
          figures.fixed++;
          fixedScenarios.add(s.name);
          figures.rounds.set(r.rounds, (figures.rounds.get(r.rounds) ?? 0) + 1);
        } else {
          figures.outside++;
          outsideScenarios.add(s.name);
          for (const code of r.codes) outsideCodes.set(code, (outsideCodes.get(code) ?? 0) + 1);
        }
        // Each alternative works on its own too (with the other findings' own fixes).
        for (const f of errors(v)) {
          if (!f.fix?.alternative) continue;
          figures.alternatives++;
          const others = errors(v)
            .filter((o) => o !== f)
            .flatMap((o) => o.fix!.steps);
          follow(applier, start, [...others, ...f.fix.alternative], `${label} (alternative of ${f.code})`, at);
        }
      }
    }
  }
  t.diagnostic(
    `advice applied: ${scenarios.length} scenarios, ${figures.runs} runs, ${figures.rejected} rejected; ${figures.fixed} fixed by the advice (rounds: ${[
      ...figures.rounds,
    ]
      .sort()
      .map(([r, n]) => `${r}:${n}`)
      .join(
        ' ',
      )}), ${figures.outside} outside the spec (${[...outsideCodes].map(([c, n]) => `${c} ${n}`).join(', ')}); ${figures.alternatives} alternatives applied; scenarios with a run fixed: ${fixedScenarios.size}, with a run outside the spec: ${outsideScenarios.size}`,
  );
  assert.equal(figures.fixed + figures.outside, figures.rejected);
  assert.ok(figures.fixed > 0 && figures.outside > 0);
});
