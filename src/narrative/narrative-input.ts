import { ValidationError } from '../errors.js';
import { describe } from '../internal/validate.js';
import { NARRATIVE_KINDS, type NarrativeRequest } from './types.js';

const RATING = /^(everyone|teen|mature|e|e10\+|t|m|ao|(pegi ?)?(3|7|12|16|18))$/i;

function str(v: unknown, field: string, max = 2000): void {
  if (typeof v !== 'string' || v.trim() === '' || v.length > max) {
    throw new ValidationError(
      `Expected \`${field}\` to be a non-empty string (max ${max}), got ${describe(v)}`,
      {
        field,
      },
    );
  }
}

function optStr(v: unknown, field: string, max = 2000): void {
  if (v !== undefined) str(v, field, max);
}

function obj(v: unknown, field: string, example: string): asserts v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new ValidationError(
      `Expected \`${field}\` to be an object such as ${example}, got ${describe(v)}`,
      {
        field,
      },
    );
  }
}

/** Throws a `ValidationError` naming the first wrong field of a narrative request. @internal */
export function validateNarrativeRequest(r: unknown): asserts r is NarrativeRequest {
  obj(r, 'request', '{ kind, scene, characters, player, tone, rating, history }');
  if (!NARRATIVE_KINDS.includes(r['kind'] as never)) {
    throw new ValidationError(
      `Expected \`kind\` to be one of ${NARRATIVE_KINDS.map((k) => `'${k}'`).join(', ')}, got ${describe(r['kind'])}`,
      { field: 'kind' },
    );
  }
  obj(r['scene'], 'scene', "{ id: 'tavern-1' }");
  const scene = r['scene'];
  str(scene['id'], 'scene.id', 200);
  optStr(scene['description'], 'scene.description');
  optStr(scene['location'], 'scene.location', 200);
  optStr(scene['conversationId'], 'scene.conversationId', 512);
  const chars = r['characters'];
  if (!Array.isArray(chars) || chars.length > 20) {
    throw new ValidationError(
      `Expected \`characters\` to be an array of at most 20 characters, got ${describe(chars)}`,
      {
        field: 'characters',
      },
    );
  }
  if (chars.length === 0 && r['kind'] === 'dialogue') {
    throw new ValidationError(
      'Expected `characters` to name the speaking character first for dialogue, got []',
      {
        field: 'characters',
      },
    );
  }
  chars.forEach((c: unknown, i) => {
    obj(c, `characters[${i}]`, "{ id: 'innkeeper', name: 'Mara' }");
    str(c['id'], `characters[${i}].id`, 200);
    str(c['name'], `characters[${i}].name`, 200);
    optStr(c['persona'], `characters[${i}].persona`);
    optStr(c['role'], `characters[${i}].role`, 200);
  });
  obj(r['player'], 'player', "{ id: 'player-42' }");
  str(r['player']['id'], 'player.id', 512);
  optStr(r['player']['name'], 'player.name', 200);
  str(r['tone'], 'tone', 200);
  if (typeof r['rating'] !== 'string' || !RATING.test(r['rating'].trim())) {
    throw new ValidationError(
      `Expected \`rating\` to be an ESRB (E, E10+, T, M, AO) or PEGI (3, 7, 12, 16, 18) rating or everyone/teen/mature, got ${describe(r['rating'])}`,
      { field: 'rating' },
    );
  }
  const history = r['history'];
  if (!Array.isArray(history)) {
    throw new ValidationError(
      `Expected \`history\` to be an array of { speaker, text } (may be empty), got ${describe(history)}`,
      {
        field: 'history',
      },
    );
  }
  history.forEach((h: unknown, i) => {
    obj(h, `history[${i}]`, "{ speaker: 'Mara', text: 'Welcome.' }");
    str(h['speaker'], `history[${i}].speaker`, 200);
    if (typeof h['text'] !== 'string') {
      throw new ValidationError(
        `Expected \`history[${i}].text\` to be a string, got ${describe(h['text'])}`,
        {
          field: `history[${i}].text`,
        },
      );
    }
  });
  optStr(r['useCase'], 'useCase', 200);
  if (r['signal'] !== undefined && !(r['signal'] instanceof AbortSignal)) {
    throw new ValidationError(`Expected \`signal\` to be an AbortSignal, got ${describe(r['signal'])}`, {
      field: 'signal',
    });
  }
}
