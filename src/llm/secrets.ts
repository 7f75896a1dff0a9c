/**
 * Reads a secret (an API key) by the name given in a model configuration's `apiKeyEnv`. Called for
 * each request; the value is never stored by the client.
 */
export type SecretResolver = (name: string) => string | undefined;

/** Default {@link SecretResolver}: reads `process.env` at call time. */
export const processEnvSecrets: SecretResolver = (name) => process.env[name];

/** Replaces every occurrence of each secret (length ≥ 4) in `text` with `[REDACTED]`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length >= 4 && out.includes(s)) out = out.split(s).join('[REDACTED]');
  }
  return out;
}
