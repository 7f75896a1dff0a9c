import type { NarrativeFallbacks, NarrativeKind, NarrativeTemplate } from './types.js';

const clean = (s: string | undefined) => (s ?? '').replace(/\s+/g, ' ').trim();
const sceneLine = (r: Parameters<NarrativeTemplate['system']>[0]) =>
  [
    r.scene.location && `Location: ${clean(r.scene.location)}.`,
    r.scene.description && `Scene: ${clean(r.scene.description)}.`,
  ]
    .filter(Boolean)
    .join(' ');
const rules = (r: Parameters<NarrativeTemplate['system']>[0]) =>
  `Tone: ${clean(r.tone)}. Keep the content suitable for rating ${r.rating}. Stay in the game world; never mention being an AI.`;
const transcript = (h: readonly { speaker: string; text: string }[]) =>
  h.length ? `Story so far:\n${h.map((e) => `${clean(e.speaker)}: ${clean(e.text)}`).join('\n')}\n` : '';

/** Built-in prompt templates, one per kind. Override any with the `templates` option. */
export const DEFAULT_NARRATIVE_TEMPLATES: Readonly<Record<NarrativeKind, NarrativeTemplate>> = Object.freeze({
  dialogue: {
    version: 'dialogue@1',
    system: (r) => {
      const c = r.characters[0]!;
      return `You are ${clean(c.name)}${c.role ? `, ${clean(c.role)}` : ''}, a character in a video game. ${c.persona ? `${clean(c.persona)} ` : ''}${sceneLine(r)} ${rules(r)} Answer with one or two lines of spoken dialogue only.`;
    },
    user: (r, h) =>
      `${transcript(h)}${clean(r.player.name) || 'The player'} is talking to you. Say your next line.`,
  },
  narration: {
    version: 'narration@1',
    system: (r) =>
      `You are the narrator of a video game. ${sceneLine(r)} ${rules(r)} Write two to four sentences of narration in the second person.`,
    user: (r, h) =>
      `${transcript(h)}Characters present: ${r.characters.map((c) => clean(c.name)).join(', ') || 'none'}. Narrate what ${clean(r.player.name) || 'the player'} sees next.`,
  },
  quest_text: {
    version: 'quest_text@1',
    system: (r) =>
      `You write quest descriptions for a video game journal. ${sceneLine(r)} ${rules(r)} Write a title line, then two or three sentences describing the objective.`,
    user: (r, h) =>
      `${transcript(h)}Quest giver: ${r.characters[0] ? clean(r.characters[0].name) : 'unknown'}. Write the journal entry for ${clean(r.player.name) || 'the player'}.`,
  },
});

/** Built-in authored fallback lines, used when the model's answer is unsafe or the model is unreachable. */
export const DEFAULT_NARRATIVE_FALLBACKS: Readonly<Record<NarrativeKind, readonly string[]>> = Object.freeze({
  dialogue: [
    '{character} pauses, weighing their words. "Another time, {player}."',
    '{character} shakes their head. "Not here. Not now."',
    '"Hm." {character} turns back to their work.',
  ],
  narration: [
    'The wind shifts over {location}, and for a moment everything is still.',
    'You take in your surroundings at {location}. Nothing stirs.',
  ],
  quest_text: ['A task awaits\nSpeak with {character} to learn more.'],
});

/** Use case per kind by default. */
export const DEFAULT_NARRATIVE_USE_CASES: Readonly<Record<NarrativeKind, string>> = Object.freeze({
  dialogue: 'interaction_layer',
  narration: 'foundation_layer',
  quest_text: 'foundation_layer',
});

/** Merges host fallbacks over the defaults, per kind. @internal */
export function mergeFallbacks(f: NarrativeFallbacks | undefined): Record<NarrativeKind, readonly string[]> {
  return {
    ...DEFAULT_NARRATIVE_FALLBACKS,
    ...Object.fromEntries(Object.entries(f ?? {}).filter(([, v]) => v !== undefined)),
  };
}
