/** The LLMClient wired to the real GuardrailsMonitor (its `check` and its stream checker), not a fake. */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FALLBACK_LINES, GuardrailsMonitor } from '../../../src/guardrails/index.js';
import { DEFAULT_SIMULATED_RESPONSES, LLMClient } from '../../../src/llm/index.js';
import { FakeRegistry, makeModel } from '../../helpers/fakes.js';

const U = 'interaction_layer';
const UNSAFE = 'Nobody will miss you, traveller. Go kill yourself tonight.';

describe('LLMClient with the real GuardrailsMonitor', () => {
  const monitors: GuardrailsMonitor[] = [];
  afterEach(async () => {
    for (const m of monitors.splice(0)) await m.close();
  });

  function client(unsafeRate: number) {
    const guardrails = new GuardrailsMonitor({ policy: 'teen' });
    monitors.push(guardrails);
    const model = makeModel({
      provider: 'simulated',
      configuration: { seed: `rg-${unsafeRate}`, unsafeRate, unsafeText: UNSAFE },
    });
    return new LLMClient({ modelRegistry: new FakeRegistry({ [U]: model }), guardrails });
  }

  async function collect(llm: LLMClient) {
    const stream = llm.generateStream({ useCase: U, prompt: 'Say something.' });
    const chunks: string[] = [];
    for await (const c of stream) chunks.push(c);
    return { chunks, text: chunks.join(''), result: await stream.result };
  }

  it('generate(): a critical answer becomes the monitor fallback content', async () => {
    const r = await client(1).generate({ useCase: U, prompt: 'Say something.' });
    expect(r.source).toBe('fallback_content');
    expect(r.text).not.toMatch(/kill/i);
    expect(r.guardrails).toMatchObject({ action: 'block', fallbackUsed: true });
  });

  it('generateStream(): no part of the critical answer is streamed; the fallback from the full check is', async () => {
    const { chunks, text, result } = await collect(client(1));
    expect(chunks).toHaveLength(1);
    expect(DEFAULT_FALLBACK_LINES).toContain(text);
    expect(text).not.toMatch(/kill|miss you/i);
    expect(result).toMatchObject({ source: 'fallback_content', text });
    expect(result.guardrails!.violations.some((v) => v.severity === 'critical')).toBe(true);
  });

  it('generateStream(): a long safe answer streams in several chunks, unchanged', async () => {
    const long =
      'The road north winds past the old mill, over the river and up into the hills where the shepherds camp.';
    const guardrails = new GuardrailsMonitor({ policy: 'teen' });
    monitors.push(guardrails);
    const model = makeModel({
      provider: 'simulated',
      configuration: { seed: 'long', responses: [long] } as never,
    });
    const { chunks, text, result } = await collect(
      new LLMClient({ modelRegistry: new FakeRegistry({ [U]: model }), guardrails }),
    );
    expect(text).toBe(long);
    expect(chunks.length).toBeGreaterThan(1);
    expect(result).toMatchObject({ source: 'model', text: long });
  });

  it('generateStream(): a safe answer streams through unchanged', async () => {
    const { chunks, text, result } = await collect(client(0));
    expect(chunks.length).toBeGreaterThan(0);
    expect(DEFAULT_SIMULATED_RESPONSES).toContain(text);
    expect(result).toMatchObject({ source: 'model', text });
  });
});
