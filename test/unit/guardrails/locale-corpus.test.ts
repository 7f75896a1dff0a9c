import { describe, expect, it } from 'vitest';
import { GuardrailsMonitor } from '../../../src/guardrails/index.js';
import {
  type CaseOutcome,
  figures,
  groupBy,
  LOCALE_CORPUS,
  row,
  runCase,
} from '../../fixtures/guardrails/locale-corpus/index.js';

const LOCALES = ['en', 'es', 'de', 'fr', 'pt', 'it', 'ru', 'pl', 'tr', 'nl', 'ja', 'ko', 'zh'];

describe('multilingual guardrails corpus (evaluation half)', () => {
  it(`has at least 1,000 game lines in every supported language (${LOCALE_CORPUS.length})`, () => {
    expect(LOCALE_CORPUS.length).toBeGreaterThanOrEqual(1000);
    const byLocale = groupBy(
      LOCALE_CORPUS.map((c) => ({ c }) as CaseOutcome),
      (o) => o.c.locale,
    );
    expect([...byLocale.keys()].sort()).toEqual([...LOCALES].sort());
    for (const [, cases] of byLocale) {
      for (const split of ['tune', 'eval']) {
        for (const label of ['dirty', 'clean', 'fiction', 'real_threat']) {
          expect(cases.some((o) => o.c.split === split && o.c.label === label)).toBe(true);
        }
      }
    }
  });

  it('reaches recall ≥ 0.9 and precision ≥ 0.95 per locale; in-fiction false block ≤ 0.5 %, false medium+ ≤ 1 %', async () => {
    const monitor = new GuardrailsMonitor({ policy: 'teen' });
    const outcomes: CaseOutcome[] = [];
    for (const c of LOCALE_CORPUS) if (c.split === 'eval') outcomes.push(await runCase(monitor, c));
    const perLocale = [...groupBy(outcomes, (o) => o.c.locale)];
    console.table([row('all', figures(outcomes)), ...perLocale.map(([k, v]) => row(k, figures(v)))]);
    for (const [locale, list] of perLocale) {
      const f = figures(list);
      expect(f.recall, `${locale} recall`).toBeGreaterThanOrEqual(0.9);
      expect(f.precision, `${locale} precision`).toBeGreaterThanOrEqual(0.95);
    }
    const all = figures(outcomes);
    expect(all.falseBlock, 'in-fiction false block rate').toBeLessThanOrEqual(0.005);
    expect(all.falseMedium, 'in-fiction false medium-or-higher rate').toBeLessThanOrEqual(0.01);
  });
});
