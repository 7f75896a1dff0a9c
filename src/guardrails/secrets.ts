/**
 * Secret detection: API-key shapes (OpenAI, AWS, GitHub, Slack, Google), JWTs and private-key blocks.
 * Prefix search with `indexOf` then a forward scan of the key body, resuming after it: linear time.
 * @module
 */

import { CodeUnits } from './code-units.js';

/** Kinds of secrets recognised. */
export type SecretType =
  | 'openai_key'
  | 'aws_access_key'
  | 'aws_secret_key'
  | 'github_token'
  | 'slack_token'
  | 'slack_webhook'
  | 'google_api_key'
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
const hasDigitAndLetter = (s: string) => /[0-9]/.test(s) && /[A-Za-z]/.test(s);

const RULES: readonly Rule[] = [
  {
    type: 'openai_key',
    prefixes: ['sk-'], // body includes '-', so sk-proj-/sk-svcacct-/sk-admin- keys match too
    body: isB64Url,
    min: 20,
    max: 300,
    validate: hasDigitAndLetter,
  },
  { type: 'aws_access_key', prefixes: ['AKIA', 'ASIA', 'ABIA', 'ACCA'], body: isUpperNum, min: 16, max: 16 },
  {
    type: 'github_token',
    prefixes: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'],
    body: isAlnum,
    min: 36,
    max: 255,
  },
  { type: 'github_token', prefixes: ['github_pat_'], body: isGhPat, min: 22, max: 255 },
  {
    type: 'slack_token',
    prefixes: ['xoxb-', 'xoxp-', 'xoxa-', 'xoxr-', 'xoxs-', 'xapp-'],
    body: isSlackBody,
    min: 10,
    max: 255,
    validate: hasDigitAndLetter,
  },
  {
    type: 'slack_webhook',
    prefixes: ['https://hooks.slack.com/services/'],
    body: isWebhookBody,
    min: 20,
    max: 200,
  },
  { type: 'google_api_key', prefixes: ['AIza'], body: isB64Url, min: 35, max: 35 },
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
  aws_access_key: '[AWS_KEY]',
  aws_secret_key: '[AWS_SECRET]',
  github_token: '[GITHUB_TOKEN]',
  slack_token: '[SLACK_TOKEN]',
  slack_webhook: '[SLACK_WEBHOOK]',
  google_api_key: '[GOOGLE_API_KEY]',
  jwt: '[JWT]',
  private_key: '[PRIVATE_KEY]',
};

const secretUnits = new CodeUnits();
// Every prefix (and the AWS secret keyword, and a private-key header) starts with one of these.
const PREFILTER =
  /sk-|A[KSB]IA|ACCA|AIza|gh[pousr]_|github_pat_|xox[bpars]-|xapp-|hooks\.slack|eyJ|secret|-----BEGIN /i;

/** Finds every secret in `text`, sorted by start. Linear time. */
export function findSecrets(text: string): SecretMatch[] {
  const out: SecretMatch[] = [];
  if (!PREFILTER.test(text)) return out;
  const n = text.length;
  const u = secretUnits.load(text);
  for (const rule of RULES) {
    for (const prefix of rule.prefixes) {
      let at = text.indexOf(prefix);
      while (at !== -1) {
        const bodyStart = at + prefix.length;
        const b = bodyEnd(rule, text, u, bodyStart, n);
        const len = b - bodyStart;
        const bounded = at === 0 || !isB64Url(u[at - 1]!);
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
  findAwsSecrets(text, out);
  findPrivateKeys(text, out);
  return out.sort((a, b) => a.start - b.start);
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

const AWS_SECRET_KEYWORD =
  /aws_?secret_?(?:access_?)?key["']?\s{0,4}[:=]\s{0,4}["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi;

function findAwsSecrets(text: string, out: SecretMatch[]): void {
  AWS_SECRET_KEYWORD.lastIndex = 0;
  for (let m = AWS_SECRET_KEYWORD.exec(text); m; m = AWS_SECRET_KEYWORD.exec(text)) {
    const start = m.index + m[0].length - m[1]!.length;
    out.push({
      type: 'aws_secret_key',
      start,
      end: m.index + m[0].length,
      replacement: PLACEHOLDERS.aws_secret_key,
    });
  }
}

function findPrivateKeys(text: string, out: SecretMatch[]): void {
  let at = text.indexOf('-----BEGIN ');
  while (at !== -1) {
    const headerEnd = text.indexOf('-----', at + 11);
    const header = headerEnd === -1 ? '' : text.slice(at + 11, headerEnd);
    if (headerEnd !== -1 && headerEnd - at < 60 && header.endsWith('PRIVATE KEY')) {
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
