/**
 * Reads a secret (an API key) by the name given in a model configuration's `apiKeyEnv`. Called for
 * each request; the value is never stored by the client.
 */
export type SecretResolver = (name: string) => string | undefined;

/** Default {@link SecretResolver}: reads `process.env` at call time. */
export const processEnvSecrets: SecretResolver = (name) => process.env[name];

const REDACTED = '[REDACTED]';
/** Shorter secrets (or encodings of them) would redact ordinary text. */
const MIN_SECRET_CHARS = 4;
const MIN_BASE64_CHARS = 8;

/**
 * Every form of `secret` a provider or a model may echo: raw, JSON-escaped, URL-encoded (both hex
 * cases, `+` for spaces), and base64 / base64url at each of the three byte alignments (so the key is
 * found inside a longer encoded text too). `Bearer <key>` contains the raw key. Longest first.
 */
export function secretForms(secret: string): string[] {
  if (secret.length < MIN_SECRET_CHARS) return [];
  const forms = new Set<string>([secret]);
  const json = JSON.stringify(secret).slice(1, -1);
  forms.add(json);
  forms.add(json.replaceAll('/', '\\/'));
  const url = encodeURIComponent(secret);
  forms.add(url);
  forms.add(url.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()));
  forms.add(url.replaceAll('%20', '+'));
  const bytes = Buffer.from(secret, 'utf8');
  for (let shift = 0; shift < 3; shift++) {
    const shifted = Buffer.concat([Buffer.alloc(shift), bytes]);
    const b64 = shifted.toString('base64').replace(/=+$/, '');
    // Drop the characters that mix in the alignment bytes, and a last one that mixes in padding bits.
    const from = Math.ceil((shift * 8) / 6);
    const to = ((shift + bytes.length) * 8) % 6 === 0 ? b64.length : b64.length - 1;
    const core = b64.slice(from, to);
    if (core.length >= MIN_BASE64_CHARS) {
      forms.add(core);
      forms.add(core.replaceAll('+', '-').replaceAll('/', '_'));
    }
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

/** Replaces every form ({@link secretForms}) of each secret in `text` with `[REDACTED]`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  if (secrets.length === 0 || text === '') return text;
  let out = text;
  for (const s of secrets) {
    for (const form of secretForms(s)) if (out.includes(form)) out = out.split(form).join(REDACTED);
  }
  return out;
}

/**
 * A redactor for one call's secrets: the forms are derived on first use and live only as long as
 * the returned function (the call), never in the client. @internal
 */
export function redactorFor(secrets: readonly string[]): (text: string) => string {
  if (secrets.length === 0) return identity;
  let forms: string[] | undefined;
  return (text) => {
    if (text === '') return text;
    forms ??= secrets.flatMap(secretForms).sort((a, b) => b.length - a.length);
    let out = text;
    for (const form of forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
    return out;
  };
}

const identity = (text: string): string => text;
