import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FixStep } from '../../../src/diagnostics/fix.js';
import { verifyChain } from '../../../src/tls/chain/index.js';
import type { ChainFinding, ChainVerdict } from '../../../src/tls/verdict.js';
import { makePki } from '../../support/pki.js';
import {
  FixApplier,
  FixNotApplicable,
  messageNamesFix,
  pkiUniverse,
  readCrls,
  readHeld,
  writeCrls,
  writeHeld,
  type UpstreamState,
} from '../../support/apply-fix.js';
import { buildCrlScenarios, type CrlScenario } from './crl-scenarios.js';
import { compare, crlSources, sources } from './harness.js';
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

/** The CRL differential (crl.test.ts) runs at these depths, with this name. */
const CRL_DEPTHS = [0, 1, 100];
const CRL_NAME = 'svc.internal';

let scenarios: Scenario[] = [];
let crlScenarios: CrlScenario[] = [];
let pkiDir = '';
let crlPkiDir = '';
let work = '';

before(async () => {
  const built = await buildScenarios();
  scenarios = built.scenarios;
  pkiDir = built.pki.dir;
  const crlPki = await makePki(join(mkdtempSync(join(tmpdir(), 'gwctl-crl-fixes-')), 'pki'));
  crlScenarios = buildCrlScenarios(crlPki).scenarios;
  crlPkiDir = crlPki.dir;
  work = mkdtempSync(join(tmpdir(), 'gwctl-fixes-'));
});

after(() => {
  rmSync(dirname(pkiDir), { recursive: true, force: true });
  rmSync(dirname(crlPkiDir), { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

let fileNo = 0;
function files(s: UpstreamState): { trusted: string; chain: string; crl?: string } {
  fileNo++;
  return {
    trusted: writeHeld(join(work, `${fileNo}.trusted.pem`), s.trusted),
    chain: writeHeld(join(work, `${fileNo}.chain.pem`), s.chain),
    crl: s.crls && writeCrls(join(work, `${fileNo}.crls.pem`), s.crls),
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
    crls: f.crl !== undefined ? crlSources(f.crl) : undefined,
    at,
    trustStoreName: 'internal',
  });
}

const errors = (v: ChainVerdict) => v.findings.filter((f) => f.severity === 'error');
const outside = (steps: FixStep[]) => steps.some((x) => x.kind === 'outside-spec');

/** The words of the finding name what its fix does: each certificate, the depth, the name. */
const consistent = (f: ChainFinding, steps: FixStep[]) => messageNamesFix(f.message, steps);

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
      [next.chain.map((c) => c.pem), next.trusted.map((c) => c.pem), next.depth, next.name, next.protocols, next.crls],
      [
        state.chain.map((c) => c.pem),
        state.trusted.map((c) => c.pem),
        state.depth,
        state.name,
        state.protocols,
        state.crls,
      ],
      `${label}: applying ${JSON.stringify(steps)} changes nothing`,
    );
    state = next;
  }
  const v = verdictOf(state, at);
  assert.ok(v.ok, `${label}: still rejected after ${MAX_ROUNDS} rounds of advice: ${JSON.stringify(errors(v))}`);
  // libcrypto under nginx's profile agrees that the fixed upstream verifies.
  const f = files(state);
  const c = compare(label, f.trusted, f.chain, state.depth, state.name, at, {}, f.crl);
  assert.equal(c.openssl.code, null, `${label}: libcrypto still rejects the fixed chain: ${JSON.stringify(c.openssl)}`);
  return { kind: 'fixed', rounds: MAX_ROUNDS };
}

interface Run {
  scenario: string;
  label: string;
  start: UpstreamState;
}

/** Follows the advice of every rejected run (and each alternative on its own); returns the figures line. */
function adviseAll(runs: Run[], applier: FixApplier, at: Date): { line: string; fixed: number; outside: number } {
  const figures = { runs: 0, rejected: 0, fixed: 0, outside: 0, alternatives: 0, rounds: new Map<number, number>() };
  const outsideCodes = new Map<string, number>();
  const fixedScenarios = new Set<string>();
  const outsideScenarios = new Set<string>();
  for (const { scenario, label, start } of runs) {
    figures.runs++;
    const v = verdictOf(start, at);
    if (v.ok) continue;
    figures.rejected++;
    const r = follow(applier, start, null, label, at);
    if (r.kind === 'fixed') {
      figures.fixed++;
      fixedScenarios.add(scenario);
      figures.rounds.set(r.rounds, (figures.rounds.get(r.rounds) ?? 0) + 1);
    } else {
      figures.outside++;
      outsideScenarios.add(scenario);
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
  assert.equal(figures.fixed + figures.outside, figures.rejected);
  const scenarioCount = new Set(runs.map((r) => r.scenario)).size;
  const rounds = [...figures.rounds]
    .sort()
    .map(([r, n]) => `${r}:${n}`)
    .join(' ');
  const codes = [...outsideCodes].map(([c, n]) => `${c} ${n}`).join(', ');
  return {
    line: `${scenarioCount} scenarios, ${figures.runs} runs, ${figures.rejected} rejected; ${figures.fixed} fixed by the advice (rounds: ${rounds}), ${figures.outside} outside the spec (${codes}); ${figures.alternatives} alternatives applied; scenarios with a run fixed: ${fixedScenarios.size}, with a run outside the spec: ${outsideScenarios.size}`,
    fixed: figures.fixed,
    outside: figures.outside,
  };
}

test('every fix advised for a differential scenario works when applied, or says it is outside the spec', (t) => {
  const at = new Date();
  const runs: Run[] = [];
  for (const s of scenarios)
    for (const depth of DEPTHS)
      for (const name of s.names)
        runs.push({
          scenario: s.name,
          label: `${s.name} | depth ${depth} | name ${name ?? '(none)'}`,
          start: { chain: readHeld(s.chain), trusted: readHeld(s.trusted), depth, name },
        });
  const r = adviseAll(runs, new FixApplier(pkiUniverse(pkiDir)), at);
  t.diagnostic(`advice applied: ${r.line}`);
  assert.ok(r.fixed > 0 && r.outside > 0);
});

test('every fix advised for a CRL differential scenario works when applied (the test plays the CA), or says it is outside the spec', (t) => {
  const at = new Date();
  const runs: Run[] = [];
  for (const s of crlScenarios)
    for (const depth of CRL_DEPTHS)
      runs.push({
        scenario: s.name,
        label: `CRL: ${s.name} | depth ${depth}`,
        start: { chain: readHeld(s.chain), trusted: readHeld(s.trusted), crls: readCrls(s.crl), depth, name: CRL_NAME },
      });
  const r = adviseAll(runs, new FixApplier(pkiUniverse(crlPkiDir)), at);
  t.diagnostic(`CRL advice applied: ${r.line}`);
  assert.ok(r.fixed > 0 && r.outside > 0);
});
