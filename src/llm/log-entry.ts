import type { GenerateInput } from './llm-options.js';
import type { InferenceLogEntry } from './types.js';

/** The fields of a log entry that do not come from the request itself. @internal */
export type EntryFields = Omit<
  InferenceLogEntry,
  'useCase' | 'prompt' | 'context' | 'playerId' | 'sessionId' | 'conversationId'
>;

/** Builds the log entry of one call from its input and outcome. @internal */
export function logEntry(
  input: Pick<
    GenerateInput,
    'useCase' | 'prompt' | 'messages' | 'context' | 'playerId' | 'sessionId' | 'conversationId'
  >,
  fields: EntryFields,
): InferenceLogEntry {
  return {
    useCase: input.useCase,
    prompt: input.prompt ?? (input.messages ?? []).map((m) => `${m.role}: ${m.content}`).join('\n'),
    context: input.context ?? {},
    playerId: input.playerId ?? null,
    sessionId: input.sessionId ?? null,
    conversationId: input.conversationId ?? null,
    ...fields,
  };
}
