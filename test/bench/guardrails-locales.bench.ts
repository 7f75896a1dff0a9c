/**
 * Multilingual guardrails corpus report: precision/recall of term detection, in-fiction false block
 * and false medium-or-higher rates and real-world threats blocked, per locale, genre and role, for the
 * tuning half and the evaluation half (default teen policy, every locale loaded). Lists the misses of
 * the tuning half only: the evaluation half is measured, never tuned on.
 * `npm run bench -- guardrails-locales`
 */
import { GuardrailsMonitor } from '../../src/guardrails/index.js';
import {
  type CaseOutcome,
  figures,
  groupBy,
  LOCALE_CORPUS,
  row,
  runCase,
} from '../fixtures/guardrails/locale-corpus/index.js';

const monitor = new GuardrailsMonitor({ policy: 'teen' });
const outcomes: CaseOutcome[] = [];
for (const c of LOCALE_CORPUS) outcomes.push(await runCase(monitor, c));

for (const split of ['tune', 'eval'] as const) {
  const half = outcomes.filter((o) => o.c.split === split);
  console.log(`\n${split === 'eval' ? 'EVALUATION' : 'TUNING'} half: ${half.length} lines`);
  console.table([
    row('all', figures(half)),
    ...[...groupBy(half, (o) => o.c.locale)].map(([k, v]) => row(k, figures(v))),
  ]);
  console.table([
    ...[...groupBy(half, (o) => o.c.genre)].map(([k, v]) => row(k, figures(v))),
    ...[...groupBy(half, (o) => o.c.role)].map(([k, v]) => row(k, figures(v))),
    row('without context.locale', figures(half.filter((o) => !o.c.withLocale))),
  ]);
}

const misses = outcomes.filter((o) => o.c.split === 'tune' && !o.ok);
console.log(`\ntuning-half misses: ${misses.length}`);
for (const o of misses)
  console.log(`  ${o.c.locale} ${o.c.label}: ${JSON.stringify(o.c.text)} → ${o.detail}`);
console.log(
  `\ncorpus: ${LOCALE_CORPUS.length} lines in ${new Set(LOCALE_CORPUS.map((c) => c.locale)).size} languages`,
);
