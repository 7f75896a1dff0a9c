/**
 * Host guide, "Story Teller Service": a NarrativeGenerator checked by a GuardrailsMonitor. Lines the
 * model gets wrong are replaced by authored fallback content (the guide: "Fallback content on
 * critical violations").
 *
 *   npx tsx examples/narrative-generation.ts
 *
 * Models are served by the `simulated` provider; the dialogue model answers with a threat now and then.
 */
import {
  createModelManagement,
  GuardrailsMonitor,
  NarrativeGenerator,
  type NarrativeRequest,
} from '../src/index.js';
import { registerSimulated, section } from './support.js';

const mm = await createModelManagement({ db: { embedded: {} } });
try {
  // A narration and quest-text model (foundation_layer) …
  const storyModel = await registerSimulated(mm, {
    useCase: 'foundation_layer',
    modelName: 'foundation-model',
    version: '1.0',
  });
  await mm.modelRegistry.updateModelStatus(storyModel, 'current');
  // … and a dialogue model (interaction_layer) that sometimes threatens the player.
  const dialogueModel = await registerSimulated(mm, {
    useCase: 'interaction_layer',
    modelName: 'interaction-model',
    version: '1.0',
    configuration: { unsafeRate: 0.3 },
  });
  await mm.modelRegistry.updateModelStatus(dialogueModel, 'current');

  // As in the guide: a monitor of its own (here with the studio's threat blocklist; violations are
  // stored in the SDK's database) and a generator that checks every line with the request's rating.
  const guardrailsMonitor = new GuardrailsMonitor({ db: mm.db });
  const generator = new NarrativeGenerator({
    llmClient: mm.llmClient,
    guardrailsMonitor,
    fallbacks: {
      dialogue: [
        '{character} eyes {player} warily. "Move along, traveller."',
        '"Not now," says {character}.',
      ],
    },
  });

  const scene = { id: 'mill', location: 'the old mill', conversationId: 'conv-mill-42' };
  const player = { id: 'player-42', name: 'Ayla' };
  const base = { scene, player, tone: 'ominous', rating: 'T', history: [] };

  section('Narration and quest text (foundation_layer)');
  for (const kind of ['narration', 'quest_text'] as const) {
    const line = await generator.generate({ ...base, kind, characters: [] });
    console.log(`${kind.padEnd(10)} [${line.source}, template ${line.templateVersion}] ${line.text}`);
  }

  section('Dialogue (interaction_layer), rating T');
  const history: NarrativeRequest['history'] = [];
  let fallbacks = 0;
  for (let turn = 1; turn <= 6; turn++) {
    history.push({ speaker: 'Ayla', text: `What happened at the mill? (${turn})` });
    const line = await generator.generate({
      ...base,
      kind: 'dialogue',
      characters: [{ id: 'npc-miller', name: 'Old Tom', persona: 'a nervous miller' }],
      history,
    });
    history.push({ speaker: 'Old Tom', text: line.text });
    if (line.source === 'fallback') {
      fallbacks++;
      const why = [...new Set(line.violations.map((v) => `${v.severity} ${v.category}`))].join(', ');
      console.log(
        `turn ${turn}  [fallback: ${line.fallbackReason}, ${why} in "${line.violations[0]?.excerpt}"]`,
      );
      console.log(`        ${line.text}`);
    } else {
      console.log(`turn ${turn}  [model] ${line.text}`);
    }
  }

  await guardrailsMonitor.flush();
  const [m] = guardrailsMonitor.metrics({ useCase: 'interaction_layer' });
  console.log(
    `\nguardrails: ${m?.checks ?? 0} checks, ${m?.violationsBySeverity.critical ?? 0} critical violations`,
  );
  await guardrailsMonitor.close();
  if (fallbacks === 0) process.exitCode = 1;
} finally {
  await mm.close();
}
