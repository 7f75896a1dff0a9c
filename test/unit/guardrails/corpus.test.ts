import { describe, expect, it } from 'vitest';
import { GuardrailsMonitor } from '../../../src/index.js';
import { CORPUS, CORPUS_SPOILERS, type CoarseCategory } from '../../fixtures/guardrails/corpus.js';

const COARSE: Record<string, CoarseCategory> = {
  profanity: 'blocklist',
  slur: 'blocklist',
  sexual: 'blocklist',
  self_harm: 'blocklist',
  threat: 'blocklist',
  blocklist: 'blocklist',
  pii: 'pii',
  secret: 'secret',
  prompt_injection: 'prompt_injection',
  character_break: 'character_break',
  spoiler: 'spoiler',
};
const CATEGORIES: CoarseCategory[] = [
  'blocklist',
  'pii',
  'secret',
  'prompt_injection',
  'character_break',
  'spoiler',
];
const REQUIRED: Partial<Record<CoarseCategory, number>> = { blocklist: 0.95, pii: 0.95, secret: 0.95 };

describe('guardrails labelled corpus', () => {
  it(`has at least 300 cases written for this project (${CORPUS.length})`, () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(300);
  });

  it('reaches precision and recall ≥ 0.95 for blocklist, PII and secrets under the teen policy', () => {
    const g = new GuardrailsMonitor({ policy: 'teen', spoilers: CORPUS_SPOILERS });
    const stats = Object.fromEntries(CATEGORIES.map((c) => [c, { tp: 0, fp: 0, fn: 0 }]));
    const misses: string[] = [];
    for (const c of CORPUS) {
      const r = g.checkSync({
        text: c.text,
        stage: c.stage,
        context: c.questProgress ? { questProgress: c.questProgress } : {},
      });
      const got = new Set(
        r.violations.map((v) => COARSE[v.category]).filter((x): x is CoarseCategory => !!x),
      );
      for (const cat of CATEGORIES) {
        const want = c.expect.includes(cat);
        const has = got.has(cat);
        if (want && has) stats[cat]!.tp++;
        else if (has) {
          stats[cat]!.fp++;
          misses.push(`FP ${cat}: ${JSON.stringify(c.text)}`);
        } else if (want) {
          stats[cat]!.fn++;
          misses.push(`FN ${cat}: ${JSON.stringify(c.text)}`);
        }
      }
    }
    const rows = CATEGORIES.map((cat) => {
      const { tp, fp, fn } = stats[cat]!;
      const precision = tp + fp ? tp / (tp + fp) : 1;
      const recall = tp + fn ? tp / (tp + fn) : 1;
      return {
        category: cat,
        tp,
        fp,
        fn,
        precision: Number(precision.toFixed(3)),
        recall: Number(recall.toFixed(3)),
      };
    });
    console.table(rows);
    if (misses.length) console.log(misses.join('\n'));
    for (const row of rows) {
      const min = REQUIRED[row.category];
      if (min === undefined) continue;
      expect(row.precision, `${row.category} precision`).toBeGreaterThanOrEqual(min);
      expect(row.recall, `${row.category} recall`).toBeGreaterThanOrEqual(min);
    }
  });
});
