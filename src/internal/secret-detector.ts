/**
 * Secret detection shared by the guardrails' scanner and the registry's refusal of stored secrets.
 * The formats a game backend meets, after the gitleaks default rules (config/gitleaks.toml) and
 * secretlint's recommended preset: OpenAI, Anthropic, AWS, GCP (API keys, OAuth client secrets), Azure
 * (AD client secrets, storage account keys, SAS signatures), GitHub, GitLab, Slack, Discord (bot
 * tokens, webhooks), Twitch, Steam Web API, Stripe, SendGrid, Twilio, npm, JWTs, private-key blocks,
 * keyword assignments of high-entropy values (`api_key=…`, `client_secret: …`) and password
 * disclosures (`password: …`, `passwd=…`).
 * Prefix rules: `indexOf` then a forward scan of the key body, resuming after it. Keyword rules: one
 * bounded regular expression each, run only when a cheap prefilter finds a keyword. Linear time.
 * @module
 */

import { CodeUnits } from './code-units.js';

/** Kinds of secrets recognised. */
export type SecretType =
  | 'openai_key'
  | 'anthropic_key'
  | 'aws_access_key'
  | 'aws_secret_key'
  | 'github_token'
  | 'gitlab_token'
  | 'slack_token'
  | 'slack_webhook'
  | 'discord_token'
  | 'discord_webhook'
  | 'twitch_token'
  | 'steam_api_key'
  | 'google_api_key'
  | 'google_oauth_secret'
  | 'azure_secret'
  | 'stripe_key'
  | 'sendgrid_key'
  | 'twilio_key'
  | 'npm_token'
  | 'generic_secret'
  | 'password'
  | 'jwt'
  | 'private_key';

/** A secret occurrence in original indices `[start, end)`. */
export interface SecretMatch {
  readonly type: SecretType;
  readonly start: number;
  readonly end: number;
  readonly replacement: string;
}

interface Rule {
  readonly type: SecretType;
  readonly prefixes: readonly string[];
  readonly body: (c: number) => boolean;
  readonly min: number;
  readonly max: number;
  readonly validate?: (token: string) => boolean;
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isUpper = (c: number) => c >= 65 && c <= 90;
const isLower = (c: number) => c >= 97 && c <= 122;
const isAlnum = (c: number) => isDigit(c) || isUpper(c) || isLower(c);
const isUpperNum = (c: number) => isDigit(c) || isUpper(c);
const isB64Url = (c: number) => isAlnum(c) || c === 45 || c === 95;
const isB64UrlDot = (c: number) => isB64Url(c) || c === 46;
const isSlackBody = (c: number) => isAlnum(c) || c === 45;
const isWebhookBody = (c: number) => isAlnum(c) || c === 47;
const isGhPat = (c: number) => isAlnum(c) || c === 95;
const isHex = (c: number) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const isUrlPath = (c: number) => isB64Url(c) || c === 47;
const hasDigitAndLetter = (s: string) => /[0-9]/.test(s) && /[A-Za-z]/.test(s);

const RULES: readonly Rule[] = [
  {
    type: 'openai_key',
    prefixes: ['sk-'], // body includes '-', so sk-proj-/sk-svcacct-/sk-admin- keys match too
    body: isB64Url,
    min: 20,
    max: 300,
    validate: (body) => hasDigitAndLetter(body) && !body.startsWith('ant-'),
  },
  // gitleaks anthropic-api-key / anthropic-admin-api-key: 93 characters then `AA`.
  {
    type: 'anthropic_key',
    prefixes: ['sk-ant-api03-', 'sk-ant-admin01-'],
    body: isB64Url,
    min: 40,
    max: 300,
  },
  {
    type: 'aws_access_key',
    prefixes: ['AKIA', 'ASIA', 'ABIA', 'ACCA'],
    body: isUpperNum,
    min: 16,
    max: 16,
  },
  { type: 'aws_access_key', prefixes: ['A3T'], body: isUpperNum, min: 17, max: 17 },
  {
    type: 'github_token',
    prefixes: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'],
    body: isAlnum,
    min: 36,
    max: 255,
  },
  { type: 'github_token', prefixes: ['github_pat_'], body: isGhPat, min: 22, max: 255 },
  {
    type: 'gitlab_token',
    prefixes: [
      'glpat-',
      'gldt-',
      'glrt-',
      'glptt-',
      'glft-',
      'glsoat-',
      'glcbt-',
      'glimt-',
      'glagent-',
      'gloas-',
    ],
    body: isB64Url,
    min: 20,
    max: 255,
    validate: hasDigitAndLetter,
  },
  { type: 'gitlab_token', prefixes: ['GR1348941'], body: isB64Url, min: 20, max: 64 },
  {
    type: 'slack_token',
    prefixes: ['xoxb-', 'xoxp-', 'xoxa-', 'xoxr-', 'xoxs-', 'xoxe-', 'xoxo-', 'xapp-', 'xoxe.xox'],
    body: isSlackBody,
    min: 10,
    max: 255,
    validate: hasDigitAndLetter,
  },
  {
    type: 'slack_webhook',
    prefixes: [
      'https://hooks.slack.com/services/',
      'https://hooks.slack.com/workflows/',
      'https://hooks.slack.com/triggers/',
    ],
    body: isWebhookBody,
    min: 20,
    max: 200,
  },
  {
    type: 'discord_webhook',
    prefixes: [
      'https://discord.com/api/webhooks/',
      'https://discordapp.com/api/webhooks/',
      'https://ptb.discord.com/api/webhooks/',
      'https://canary.discord.com/api/webhooks/',
    ],
    body: isUrlPath,
    min: 30,
    max: 200,
    validate: (body) => /^\d{5,20}\/[\w-]{30,}/.test(body),
  },
  { type: 'google_api_key', prefixes: ['AIza'], body: isB64Url, min: 35, max: 35 },
  { type: 'google_oauth_secret', prefixes: ['GOCSPX-'], body: isB64Url, min: 28, max: 28 },
  {
    type: 'stripe_key',
    prefixes: ['sk_live_', 'sk_test_', 'rk_live_', 'rk_test_', 'whsec_'],
    body: isAlnum,
    min: 16,
    max: 255,
    validate: hasDigitAndLetter,
  },
  {
    type: 'sendgrid_key',
    prefixes: ['SG.'],
    body: isB64UrlDot,
    min: 66,
    max: 66,
    validate: (body) => /^[\w-]{22}\.[\w-]{43}$/.test(body),
  },
  // Twilio API key SIDs are SK + 32 hex; the exact length and hex body keep item codes out.
  { type: 'twilio_key', prefixes: ['SK'], body: isHex, min: 32, max: 32, validate: hasDigitAndLetter },
  { type: 'npm_token', prefixes: ['npm_'], body: isAlnum, min: 36, max: 36, validate: hasDigitAndLetter },
  {
    type: 'jwt',
    prefixes: ['eyJ'],
    body: isB64UrlDot,
    min: 20,
    max: 16384,
    validate: (t) => {
      const parts = t.split('.');
      return (
        parts.length === 3 && parts[1]!.startsWith('eyJ') && parts[0]!.length >= 7 && parts[1]!.length >= 4
      );
    },
  },
];

const PLACEHOLDERS: Readonly<Record<SecretType, string>> = {
  openai_key: '[OPENAI_KEY]',
  anthropic_key: '[ANTHROPIC_KEY]',
  aws_access_key: '[AWS_KEY]',
  aws_secret_key: '[AWS_SECRET]',
  github_token: '[GITHUB_TOKEN]',
  gitlab_token: '[GITLAB_TOKEN]',
  slack_token: '[SLACK_TOKEN]',
  slack_webhook: '[SLACK_WEBHOOK]',
  discord_token: '[DISCORD_TOKEN]',
  discord_webhook: '[DISCORD_WEBHOOK]',
  twitch_token: '[TWITCH_TOKEN]',
  steam_api_key: '[STEAM_API_KEY]',
  google_api_key: '[GOOGLE_API_KEY]',
  google_oauth_secret: '[GOOGLE_OAUTH_SECRET]',
  azure_secret: '[AZURE_SECRET]',
  stripe_key: '[STRIPE_KEY]',
  sendgrid_key: '[SENDGRID_KEY]',
  twilio_key: '[TWILIO_KEY]',
  npm_token: '[NPM_TOKEN]',
  generic_secret: '[SECRET]',
  password: '[PASSWORD]',
  jwt: '[JWT]',
  private_key: '[PRIVATE_KEY]',
};

const secretUnits = new CodeUnits();
// Every prefix of RULES starts with one of these (case-sensitive, as the prefixes are).
const PREFIX_FILTER =
  /sk-|[sr]k_|whsec_|A[KSB]IA|ACCA|A3T|AIza|GOCSPX-|gh[pousr]_|github_pat_|gl[a-z]{1,6}-|GR1348941|xox|xapp-|https:\/\/|SG\.|SK[0-9a-fA-F]|npm_|eyJ/;

/** Finds every secret in `text`, sorted by start. Linear time. */
export function findSecrets(text: string): SecretMatch[] {
  const out: SecretMatch[] = [];
  if (PREFIX_FILTER.test(text)) findPrefixed(text, out);
  findKeywordAssignments(text, out);
  findShapedSecrets(text, out);
  if (text.indexOf('-----BEGIN ') !== -1) findPrivateKeys(text, out);
  if (out.length < 2) return out;
  // Earliest first, longest first, and a named format before the generic keyword rule.
  const generic = (m: SecretMatch) => (m.type === 'generic_secret' ? 1 : 0);
  return dropOverlaps(out.sort((x, y) => x.start - y.start || y.end - x.end || generic(x) - generic(y)));
}

/** True when `text` holds at least one secret {@link findSecrets} recognises. */
export function hasSecret(text: string): boolean {
  return findSecrets(text).length > 0;
}

function findPrefixed(text: string, out: SecretMatch[]): void {
  const n = text.length;
  const u = secretUnits.load(text);
  for (const rule of RULES) {
    for (const prefix of rule.prefixes) {
      let at = text.indexOf(prefix);
      while (at !== -1) {
        const bodyStart = at + prefix.length;
        const b = bodyEnd(rule, text, u, bodyStart, n);
        const len = b - bodyStart;
        // Not inside a longer word on either side (exact-length bodies such as hex must end there).
        const bounded = (at === 0 || !isB64Url(u[at - 1]!)) && (b === n || !isAlnum(u[b]!));
        if (bounded && len >= rule.min && len <= rule.max) {
          const token = text.slice(at, b);
          if (!rule.validate || rule.validate(rule.type === 'jwt' ? token : token.slice(prefix.length))) {
            out.push({ type: rule.type, start: at, end: b, replacement: PLACEHOLDERS[rule.type] });
          }
        }
        at = text.indexOf(prefix, Math.max(b, at + 1));
      }
    }
  }
}

/** Two rules may see one secret (`password = sk-…`): the earliest, longest match wins. */
function dropOverlaps(sorted: SecretMatch[]): SecretMatch[] {
  const out: SecretMatch[] = [];
  let end = -1;
  for (const m of sorted) {
    if (m.start >= end) {
      out.push(m);
      end = m.end;
    } else if (m.end > end) {
      // Overlapping but longer: widen the kept match so nothing of the secret survives redaction.
      const last = out[out.length - 1]!;
      out[out.length - 1] = { ...last, end: m.end };
      end = m.end;
    }
  }
  return out;
}

/** Shannon entropy in bits per character. */
function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) {
    const p = c / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

const PLACEHOLDER_VALUE =
  /^(?:\*+|x+|\.+|<[^>]*>|\$\{[^}]*\}|\$[A-Za-z_]\w*|%[A-Za-z_]\w*%|\{\{.*\}\}|null|undefined|none|true|false|changeme|redacted|\[[A-Z_]+\])$/i;

/**
 * A secret-sounding key followed by an assignment (`=`, `:`, `:=`, `=>`, optional quotes): the
 * keywords of gitleaks' generic-api-key, twitch and steam rules, AWS secret keys and password
 * disclosures. One scan finds the rare keyword-plus-separator sites; the value after each is judged
 * by its keyword.
 */
const KEYWORD_ASSIGN =
  /(twitch|steam|aws_?secret_?(?:access_?)?key|passw(?:or)?d|passphrase|pwd|secret|token|credentials?|creds|key)[\w.-]{0,20}?["']?[ \t]{0,3}(:=|=>|=|:)[ \t]{0,3}["'`]?/gi;
const VALUE = /[^\s"'`,;]{1,200}/y;
const GENERIC_VALUE = /^[A-Za-z0-9_\-+/=.~]{16,200}$/;
const CLOSING_PUNCTUATION = /[.!?:)\]]+$/;

function findKeywordAssignments(text: string, out: SecretMatch[]): void {
  if (text.indexOf(':') === -1 && text.indexOf('=') === -1) return;
  KEYWORD_ASSIGN.lastIndex = 0;
  for (let m = KEYWORD_ASSIGN.exec(text); m; m = KEYWORD_ASSIGN.exec(text)) {
    const at = m.index + m[0].length;
    VALUE.lastIndex = at;
    const v = VALUE.exec(text)?.[0];
    if (!v) continue;
    const type = judgeValue(m[1]!.toLowerCase(), m[2]!, v);
    if (!type) continue;
    const value = type === 'password' ? v.replace(CLOSING_PUNCTUATION, '') : v;
    out.push({ type, start: at, end: at + value.length, replacement: PLACEHOLDERS[type] });
    KEYWORD_ASSIGN.lastIndex = at + value.length;
  }
}

function judgeValue(keyword: string, separator: string, v: string): SecretType | undefined {
  if (keyword.startsWith('aws')) return /^[A-Za-z0-9/+=]{40}$/.test(v) ? 'aws_secret_key' : undefined;
  if (keyword.startsWith('pass') || keyword === 'pwd') {
    // `password: hunter2`, `db_passwd=…`. Prose such as "the password: mellon" (one plain word after
    // a spaced colon) is left alone; a digit or symbol, or a tight `=`, makes it a disclosure.
    const value = v.replace(CLOSING_PUNCTUATION, '');
    if (value.length < 4 || value.length > 128 || PLACEHOLDER_VALUE.test(value)) return undefined;
    const looksLikeOne = /[0-9]|[^\w\s]/.test(value) || (separator !== ':' && /[A-Za-z]/.test(value));
    return looksLikeOne ? 'password' : undefined;
  }
  if (keyword === 'twitch' && /^[a-z0-9]{30}$/i.test(v) && hasDigitAndLetter(v)) return 'twitch_token';
  if (keyword === 'steam' && /^[0-9A-F]{32}$/i.test(v) && hasDigitAndLetter(v)) return 'steam_api_key';
  if (GENERIC_VALUE.test(v) && hasDigitAndLetter(v) && !PLACEHOLDER_VALUE.test(v) && entropy(v) >= 3.5) {
    return 'generic_secret';
  }
  return undefined;
}

const DISCORD_HINT = /\.[A-Za-z\d_-]{6}\./;
const DISCORD_TOKEN = /(?<![\w.-])[MNO][A-Za-z\d_-]{23,25}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,38}(?![\w.-])/g;
const AZURE_AD_SECRET = /(?<![\w~.-])[a-zA-Z0-9_~.]{3}\dQ~[a-zA-Z0-9_~.-]{31,34}(?![\w~.-])/g;
const AZURE_ACCOUNT_KEY = /AccountKey=([A-Za-z0-9+/]{86}==)/g;
const AZURE_SAS_SIG = /[?&]sig=([A-Za-z0-9%+/=]{40,120})(?![A-Za-z0-9%+/=])/g;

/** Prefix-less shapes (Discord bot tokens, Azure secrets), each behind a cheap literal gate. */
function findShapedSecrets(text: string, out: SecretMatch[]): void {
  if (DISCORD_HINT.test(text)) {
    matchAll(text, DISCORD_TOKEN, 'discord_token', out, (v) => hasDigitAndLetter(v.slice(0, 24)));
  }
  if (text.indexOf('Q~') !== -1) matchAll(text, AZURE_AD_SECRET, 'azure_secret', out);
  if (text.indexOf('AccountKey=') !== -1) matchAll(text, AZURE_ACCOUNT_KEY, 'azure_secret', out);
  if (text.indexOf('sig=') !== -1) matchAll(text, AZURE_SAS_SIG, 'azure_secret', out);
}

function matchAll(
  text: string,
  re: RegExp,
  type: SecretType,
  out: SecretMatch[],
  validate?: (value: string) => boolean,
): void {
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const value = m[1] ?? m[0];
    if (validate && !validate(value)) continue;
    const start = m.index + m[0].length - value.length;
    out.push({ type, start, end: start + value.length, replacement: PLACEHOLDERS[type] });
  }
}

/** Per rule: an ASCII membership table of the body predicate, and the same set as a sticky RegExp. */
const BODY_TABLES = new Map<Rule['body'], { table: Uint8Array; rest: RegExp }>();

function bodyTable(body: Rule['body']): { table: Uint8Array; rest: RegExp } {
  let entry = BODY_TABLES.get(body);
  if (!entry) {
    const table = new Uint8Array(128);
    let cls = '';
    for (let c = 0; c < 128; c++) {
      if (!body(c)) continue;
      table[c] = 1;
      cls += `\\x${c.toString(16).padStart(2, '0')}`;
    }
    entry = { table, rest: new RegExp(`[${cls}]*`, 'y') };
    BODY_TABLES.set(body, entry);
  }
  return entry;
}

const BODY_LOOP = 64;

/** End of the key body starting at `from`: a table loop, then a native scan for very long bodies. */
function bodyEnd(rule: Rule, text: string, u: Uint16Array, from: number, n: number): number {
  const { table, rest } = bodyTable(rule.body);
  let b = from;
  const stop = Math.min(n, from + BODY_LOOP);
  while (b < stop) {
    const c = u[b]!;
    if (c >= 128 || table[c] === 0) return b;
    b++;
  }
  if (b === n) return b;
  rest.lastIndex = b;
  rest.test(text);
  return rest.lastIndex;
}

function findPrivateKeys(text: string, out: SecretMatch[]): void {
  let at = text.indexOf('-----BEGIN ');
  while (at !== -1) {
    const headerEnd = text.indexOf('-----', at + 11);
    const header = headerEnd === -1 ? '' : text.slice(at + 11, headerEnd);
    if (headerEnd !== -1 && headerEnd - at < 60 && /PRIVATE KEY(?: BLOCK)?$/.test(header)) {
      const endMarker = text.indexOf('-----END ', headerEnd + 5);
      let end = n(text);
      if (endMarker !== -1) {
        const close = text.indexOf('-----', endMarker + 9);
        end = close === -1 ? n(text) : close + 5;
      }
      out.push({ type: 'private_key', start: at, end, replacement: PLACEHOLDERS.private_key });
      at = text.indexOf('-----BEGIN ', end);
    } else {
      at = text.indexOf('-----BEGIN ', at + 11);
    }
  }
}

function n(text: string): number {
  return text.length;
}
