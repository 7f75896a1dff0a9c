import type { GenerateInput, GenerateResult } from './llm-options.js';
import { logEntry } from './log-entry.js';
import type { RequestPipeline } from './request-pipeline.js';
import type { ChatMessage, GuardrailCheckResult } from './types.js';

/** Input guardrails on the prompt (or each user message): the (possibly redacted) input, or the blocking verdict. @internal */
export async function checkInput(
  pipeline: RequestPipeline,
  input: GenerateInput,
): Promise<GenerateInput | { blocked: GuardrailCheckResult }> {
  if (input.prompt !== undefined) {
    const v = await pipeline.check(input.prompt, 'input', input, undefined);
    if (!v.allowed) return { blocked: v };
    return v.action === 'redact' ? { ...input, prompt: v.text } : input;
  }
  const messages: ChatMessage[] = [];
  for (const m of input.messages!) {
    if (m.role !== 'user') {
      messages.push(m);
      continue;
    }
    const v = await pipeline.check(m.content, 'input', input, undefined);
    if (!v.allowed) return { blocked: v };
    messages.push(v.action === 'redact' ? { role: m.role, content: v.text } : m);
  }
  return { ...input, messages };
}

/** The result of a call whose prompt was blocked: reported, logged, answered with the verdict's fallback text. @internal */
export async function blockedInput(
  pipeline: RequestPipeline,
  input: GenerateInput,
  verdict: GuardrailCheckResult,
  t0: number,
  completed: (latencyMs: number) => void,
): Promise<GenerateResult> {
  pipeline.blocked(input, 'input', null, verdict);
  const latencyMs = performance.now() - t0;
  const guardrails = { action: verdict.action, violations: verdict.violations };
  const logId = await pipeline.log(
    logEntry(input, {
      modelId: null,
      generatedOutput: verdict.text,
      latencyMs,
      status: 'blocked',
      error: null,
      deploymentId: null,
      variant: null,
      tokensIn: 0,
      tokensOut: 0,
      guardrails,
      metadata: { ...input.metadata, source: 'fallback_content', stage: 'input' },
    }),
  );
  completed(latencyMs);
  return {
    text: verdict.text,
    modelId: null,
    modelVersion: null,
    variant: null,
    deploymentId: null,
    latencyMs,
    usage: { tokensIn: 0, tokensOut: 0 },
    logId,
    guardrails: { ...guardrails, fallbackUsed: verdict.fallbackUsed },
    source: 'fallback_content',
  };
}
