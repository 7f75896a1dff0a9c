import { describe, expect, it } from 'vitest';
import { GuardrailsMonitor, loadedLocales } from '../../../src/guardrails/index.js';

describe('priming the built-in checks', () => {
  it('compiles no locale list and leaves checking unchanged', () => {
    // The first monitor of the process primes the scanners on English and Latin-script texts only.
    const g = new GuardrailsMonitor({ policy: 'teen' });
    expect(loadedLocales().locales).toEqual([]);
    const r = g.checkSync({ text: 'Mail me at jo@example.com, you piece of shit.', stage: 'output' });
    expect(r.violations.map((v) => v.category).sort()).toEqual(['pii', 'profanity']);
    expect(g.metrics()[0]?.checks).toBe(1);
  });
});
