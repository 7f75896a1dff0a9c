import { describe, expect, it } from 'vitest';
import {
  type GenerateInput,
  type GenerateResult,
  ProviderError,
  ValidationError,
} from '../../../src/index.js';
import {
  DEFAULT_NARRATIVE_TEMPLATES,
  NarrativeGenerator,
  type NarrativeRequest,
} from '../../../src/narrative/index.js';
import { FakeGuardrails } from '../../helpers/fakes.js';

function fakeLlm(text: string | Error, over: Partial<GenerateResult> = {}) {
  const calls: GenerateInput[] = [];
  return {
    calls,
    async generate(input: GenerateInput): Promise<GenerateResult> {
      calls.push(input);
      if (text instanceof Error) throw text;
      return {
        text,
        modelId: '00000000-0000-7000-8000-000000000001',
        modelVersion: '1',
        variant: 'stable',
        deploymentId: null,
        latencyMs: 1,
        usage: { tokensIn: 1, tokensOut: 1 },
        logId: 'log-1',
        guardrails: null,
        source: 'model',
        ...over,
      };
    },
  };
}

const request = (over: Partial<NarrativeRequest> = {}): NarrativeRequest => ({
  kind: 'dialogue',
  scene: { id: 'tavern', location: 'the Rusty Flagon', conversationId: 'conv-7' },
  characters: [{ id: 'mara', name: 'Mara', role: 'innkeeper', persona: 'Gruff but kind.' }],
  player: { id: 'player-42', name: 'Ash' },
  tone: 'warm',
  rating: 'T',
  history: [{ speaker: 'Ash', text: 'Any rooms free?' }],
  ...over,
});

describe('NarrativeGenerator', () => {
  it('renders the versioned template, keys by player and pins by conversation, passes the rating', async () => {
    const llm = fakeLlm('Aye, one left upstairs.');
    const r = await new NarrativeGenerator({ llmClient: llm }).generate(request());
    expect(r).toMatchObject({
      text: 'Aye, one left upstairs.',
      source: 'model',
      violations: [],
      templateVersion: 'dialogue@1',
      useCase: 'interaction_layer',
      fallbackReason: null,
    });
    const call = llm.calls[0]!;
    expect(call).toMatchObject({
      useCase: 'interaction_layer',
      stickyKey: 'player-42',
      playerId: 'player-42',
      conversationId: 'conv-7',
    });
    expect(call.context).toMatchObject({ rating: 'T', templateVersion: 'dialogue@1' });
    expect(call.messages![0]!.content).toContain('You are Mara, innkeeper');
    expect(call.messages![0]!.content).toContain('rating T');
    expect(call.messages![1]!.content).toContain('Ash: Any rooms free?');
  });

  it('serves authored fallback content on a critical violation, deterministically', async () => {
    const guardrails = new FakeGuardrails();
    const gen = new NarrativeGenerator({
      llmClient: fakeLlm('I will kill you.'),
      guardrailsMonitor: guardrails,
      fallbacks: { dialogue: ['{character} glares at {player}.', '{character} says nothing.'] },
    });
    const a = await gen.generate(request());
    const b = await gen.generate(request());
    expect(a.source).toBe('fallback');
    expect(a.fallbackReason).toBe('critical_violation');
    expect(a.violations.map((v) => v.severity)).toEqual(['critical']);
    expect(['Mara glares at Ash.', 'Mara says nothing.']).toContain(a.text);
    expect(b.text).toBe(a.text);
    expect(guardrails.checks[0]!.context).toMatchObject({ rating: 'T' });
  });

  it('uses the fallback when the client already served fallback content, and on provider failure', async () => {
    const blocked = fakeLlm('generic fallback', {
      source: 'fallback_content',
      guardrails: {
        action: 'block',
        fallbackUsed: true,
        violations: [{ severity: 'critical', category: 'violence', checkId: 'x' }],
      },
    });
    const r1 = await new NarrativeGenerator({ llmClient: blocked }).generate(request());
    expect(r1).toMatchObject({ source: 'fallback', fallbackReason: 'critical_violation' });
    expect(r1.text).not.toBe('generic fallback');
    const down = fakeLlm(new ProviderError('all sources failed'));
    const r2 = await new NarrativeGenerator({ llmClient: down }).generate(request({ kind: 'narration' }));
    expect(r2).toMatchObject({
      source: 'fallback',
      fallbackReason: 'provider_error',
      templateVersion: 'narration@1',
      useCase: 'foundation_layer',
    });
    expect(r2.text).toContain('the Rusty Flagon');
  });

  it('keeps redacted text from the guardrails and accepts overridden templates', async () => {
    const template = { ...DEFAULT_NARRATIVE_TEMPLATES.quest_text, version: 'quest_text@7' };
    const gen = new NarrativeGenerator({
      llmClient: fakeLlm('Call 555-1234 for the reward.'),
      guardrailsMonitor: new FakeGuardrails(),
      templates: { quest_text: template },
    });
    const r = await gen.generate(request({ kind: 'quest_text' }));
    expect(r).toMatchObject({
      source: 'model',
      text: 'Call [phone] for the reward.',
      templateVersion: 'quest_text@7',
    });
    expect(r.violations).toHaveLength(1);
  });

  it('rethrows non-provider errors and validates input with clear messages', async () => {
    const gen = new NarrativeGenerator({ llmClient: fakeLlm('x') });
    const bad: Array<[unknown, RegExp]> = [
      [null, /request/],
      [
        { ...request(), kind: 'poem' },
        /`kind` to be one of 'dialogue', 'narration', 'quest_text', got "poem"/,
      ],
      [{ ...request(), characters: [] }, /speaking character/],
      [{ ...request(), player: { id: '' } }, /`player.id`/],
      [{ ...request(), rating: 'R18' }, /`rating` to be an ESRB/],
      [{ ...request(), history: 'none' }, /`history`/],
      [{ ...request(), scene: { id: 'x', conversationId: 5 } }, /`scene.conversationId`/],
      [{ ...request(), tone: '' }, /`tone`/],
    ];
    for (const [input, message] of bad) {
      const e = await gen.generate(input as NarrativeRequest).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as Error).message).toMatch(message);
    }
    const failing = new NarrativeGenerator({ llmClient: fakeLlm(new ValidationError('nope')) });
    await expect(failing.generate(request())).rejects.toBeInstanceOf(ValidationError);
    expect(() => new NarrativeGenerator({} as never)).toThrow(/llmClient/);
    expect(() => new NarrativeGenerator({ llmClient: fakeLlm('x'), fallbacks: { dialogue: [] } })).toThrow(
      /fallbacks.dialogue/,
    );
  });
});
