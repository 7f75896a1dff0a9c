import { ValidationError } from '../errors.js';

/**
 * The endpoint convention of the built-in HTTP providers, checked where a configuration enters
 * (registration, `fallbackEndpoints`): `ollama` and `openai` take the server's **base URL** and
 * append the API path themselves (as the vendors' SDKs do); `http` takes the full URL it posts to.
 * Throws a `ValidationError` for a path that a docs-conformant server answers 404.
 * @internal
 */
export function checkProviderEndpoint(provider: string, endpoint: unknown, field: string): void {
  if (typeof endpoint !== 'string') return;
  let path: string;
  try {
    path = new URL(endpoint).pathname.replace(/\/+$/, '');
  } catch {
    return; // the URL check itself reports it
  }
  if (
    provider === 'ollama' &&
    /\/(generate|chat|completions|v1)$/.test(path) &&
    !/\/api\/(generate|chat)$/.test(path)
  ) {
    throw new ValidationError(
      `Expected \`${field}\` to be Ollama's base URL such as 'http://localhost:11434' (the client posts to /api/generate or /api/chat), got a path '${path}' that Ollama answers 404`,
      { field },
    );
  }
  if (provider === 'openai' && /\/(api\/generate|api\/chat|generate)$/.test(path)) {
    throw new ValidationError(
      `Expected \`${field}\` to be an OpenAI-compatible base URL such as 'https://api.openai.com/v1' (the client posts to {base}/chat/completions), got a path '${path}'`,
      { field },
    );
  }
}
