/**
 * NarrativeGenerator with the real GuardrailsMonitor (not a fake) and the simulated provider behind a
 * real LLMClient: an unsafe answer becomes authored fallback content under the `teen` rating, a safe
 * one passes through unchanged.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GuardrailsMonitor, NarrativeGenerator, type NarrativeRequest } from '../../../src/index.js';
import { DEFAULT_SIMULATED_RESPONSES, LLMClient } from '../../../src/llm/index.js';
import { FakeLog, FakeRegistry, makeModel } from '../../helpers/fakes.js';

const AUTHORED = [
  '{character} wipes the counter and says nothing more to {player}.',
  '{character} glances at the door of {location} and changes the subject.',
];

const request = (over: Partial<NarrativeRequest> = {}): NarrativeRequest => ({
  kind: 'dialogue',
  scene: { id: 'tavern', location: 'the Rusty Flagon', conversationId: 'conv-1' },
  characters: [{ id: 'mara', name: 'Mara', role: 'innkeeper' }],
  player: { id: 'player-7', name: 'Ash' },
  tone: 'warm',
  rating: 'teen',
  history: [{ speaker: 'Ash', text: 'Any news from the road?' }],
  ...over,
});

describe('NarrativeGenerator with the real GuardrailsMonitor', () => {
  const monitors: GuardrailsMonitor[] = [];
  afterEach(async () => {
    for (const m of monitors.splice(0)) await m.close();
  });

  function setup(
    configuration: Record<string, string | number>,
    monitorOptions: ConstructorParameters<typeof GuardrailsMonitor>[0] = {},
  ) {
    const model = makeModel({ provider: 'simulated', modelName: 'npc-sim', configuration });
    const log = new FakeLog();
    // The client runs no guardrails of its own: the generator's monitor (with the request's rating) decides.
    const llmClient = new LLMClient({
      modelRegistry: new FakeRegistry({ interaction_layer: model }),
      logProcessor: log,
    });
    const guardrailsMonitor = new GuardrailsMonitor(monitorOptions);
    monitors.push(guardrailsMonitor);
    const generator = new NarrativeGenerator({
      llmClient,
      guardrailsMonitor,
      fallbacks: { dialogue: AUTHORED },
    });
    return { generator, model, log };
  }

  // The default lists treat self-harm encouragement as critical; violent threats (the simulated
  // provider's default unsafe text) need the host's own terms, as the demo adds them.
  it.each([
    {
      name: 'self-harm line, default monitor',
      configuration: { seed: 'unsafe', unsafeRate: 1, unsafeText: 'Nobody will miss you. Go kill yourself.' },
      monitor: {},
    },
    {
      name: 'default simulated threat, default lists',
      configuration: { seed: 'unsafe', unsafeRate: 1 },
      monitor: {},
    },
  ] as Array<{ name: string; configuration: Record<string, string | number>; monitor: object }>)(
    'an unsafe simulated answer becomes authored fallback content under `teen` ($name)',
    async ({ configuration, monitor }) => {
      const { generator, model } = setup(configuration, monitor as never);
      const r = await generator.generate(request());
      expect(r.source).toBe('fallback');
      expect(r.fallbackReason).toBe('critical_violation');
      expect(r.text).not.toMatch(/kill/i);
      // The line is one of ours, filled in for this scene and deterministic for this player and turn.
      const filled = AUTHORED.map((l) =>
        l
          .replaceAll('{character}', 'Mara')
          .replaceAll('{player}', 'Ash')
          .replaceAll('{location}', 'the Rusty Flagon'),
      );
      expect(filled).toContain(r.text);
      expect(r.text).toBe(generator.fallbackFor(request()));
      expect(r.violations.some((v) => v.severity === 'critical')).toBe(true);
      expect(r.modelId).toBe(model.id);
    },
  );

  it('a safe simulated answer passes through unchanged, with no violations', async () => {
    const { generator, model, log } = setup({ seed: 'safe', unsafeRate: 0 });
    const r = await generator.generate(request());
    expect(r).toMatchObject({ source: 'model', fallbackReason: null, violations: [], modelId: model.id });
    expect(DEFAULT_SIMULATED_RESPONSES).toContain(r.text);
    expect(log.entries[0]).toMatchObject({ generatedOutput: r.text, context: { rating: 'teen' } });
  });
});
