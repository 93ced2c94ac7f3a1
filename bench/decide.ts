import { decide } from '../src/policy/engine.ts';
import { examplePolicy, SCENARIO_NOW, scenarioFacts } from '../src/sandbox/fixtures/scenario.ts';
import type { BenchRow } from './run.ts';
import { ms, timeIt } from './stats.ts';

export async function decideBench(): Promise<BenchRow[]> {
  const facts = scenarioFacts();
  const policy = examplePolicy();
  const allowed = await timeIt(() => decide(facts, policy, SCENARIO_NOW), 2000);
  const deniedFacts = scenarioFacts({ ledger: [{ lossEventId: 'le-sandbox-1', proposal: 'x:9', amount: 17_000_000_000n, state: 'reserved' }] });
  const denied = await timeIt(() => decide(deniedFacts, policy, SCENARIO_NOW), 2000);
  return [
    { name: 'decide (pure), allowed proposal, median', value: ms(allowed.median), goal: '< 1 ms', ok: allowed.median < 1 },
    { name: 'decide (pure), allowed proposal, p95', value: ms(allowed.p95) },
    { name: 'decide (pure), denied proposal, median', value: ms(denied.median), goal: '< 1 ms', ok: denied.median < 1 },
  ];
}
