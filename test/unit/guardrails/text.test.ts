import { describe, expect, it } from 'vitest';
import {
  findPii,
  findSecrets,
  normalizedString,
  normalizeText,
  redact,
  TermMatcher,
} from '../../../src/guardrails/index.js';
import { ValidationError } from '../../../src/index.js';

describe('normalizeText', () => {
  it.each([
    ['F.U.C.K  y0u!!', 'fuck you '],
    ['f u c k', 'fuck'],
    ['ＦＵＣＫ', 'fuck'],
    ['ѕһіt', 'shit'],
    ['f\u200buck', 'fuck'],
    ['fuuuuck', 'fuck'],
    ['Café', 'cafe'],
    ['ΒΙΤCΗ', 'bitch'],
    ['$h!t happens!', 'shit hapens '],
    ['v1.2.3', 'vi 2 3'],
    ['2024', '2024'],
  ])('%j → %j', (input, expected) => {
    expect(normalizedString(normalizeText(input))).toBe(expected);
  });

  it('maps every normalised character back to its original span', () => {
    const text = 'Oh 𝐟\u200b𝐮𝐜𝐤!';
    const nt = normalizeText(text);
    const i = normalizedString(nt).indexOf('fuck');
    expect(text.slice(nt.starts[i]!, nt.ends[i + 3]!)).toBe('𝐟\u200b𝐮𝐜𝐤');
  });

  it('keeps repeat counts so `as` does not match `ass`', () => {
    const nt = normalizeText('asss');
    expect(normalizedString(nt)).toBe('as');
    expect(Array.from(nt.runs)).toEqual([1, 3]);
  });
});

describe('TermMatcher', () => {
  const m = new TermMatcher([
    { term: 'fuck*', data: 'p' },
    { term: 'ass', data: 'p' },
    { term: 'shit*', data: 'p' },
    { term: 'shiitake*', data: 'ok', allow: true },
    { term: 'bastard', data: 'p' },
    { term: 'bastard sword*', data: 'ok', allow: true },
    { term: '*cunt*', data: 'sub' },
  ]);
  const hits = (t: string) => m.scan(normalizeText(t)).map((x) => t.slice(x.origStart, x.origEnd));

  it('respects word boundaries, prefixes, repeats and the allowlist', () => {
    expect(hits('F.U.C.K off')).toEqual(['F.U.C.K']);
    expect(hits('as you wish')).toEqual([]);
    expect(hits('kiss my a$$')).toEqual(['a$$']);
    expect(hits('shiitake soup')).toEqual([]);
    expect(hits('a bastard sword')).toEqual([]);
    expect(hits('you bastard')).toEqual(['bastard']);
    expect(hits('fuuuucking')).toEqual(['fuuuucking'.slice(0, 7)]);
  });

  it('supports substring terms (which is what causes the Scunthorpe problem)', () => {
    expect(hits('Scunthorpe')).toEqual(['cunt']);
  });

  it('compiles thousands of terms and rejects empty ones', () => {
    const many = Array.from({ length: 5000 }, (_, i) => ({ term: `word${i.toString(36)}x`, data: i }));
    const big = new TermMatcher(many);
    expect(big.size).toBe(5000);
    expect(() => new TermMatcher([{ term: '  ..  ', data: 1 }])).toThrow(ValidationError);
  });
});

describe('PII and secrets', () => {
  it('redacts to typed placeholders', () => {
    expect(redact('mail bob@example.com, call +44 20 7946 0958, card 4111 1111 1111 1111')).toBe(
      'mail [EMAIL], call [PHONE], card [CARD]',
    );
    expect(redact('IBAN GB82 WEST 1234 5698 7654 32 and SSN 123-45-6789')).toBe('IBAN [IBAN] and SSN [SSN]');
    expect(redact('key AKIAIOSFODNN7EXAMPLE at 10.0.0.1')).toBe('key [AWS_KEY] at [IP]');
    expect(redact('')).toBe('');
  });

  it('checks Luhn and mod-97 instead of shapes alone', () => {
    expect(findPii('4111 1111 1111 1112')).toEqual([]);
    expect(findPii('GB82 WEST 1234 5698 7654 31')).toEqual([]);
    expect(findPii('version 1.2.3.4')).toEqual([]);
  });

  it('finds a private key block up to its END line', () => {
    const text = 'x -----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY----- y';
    const [m] = findSecrets(text);
    expect(m?.type).toBe('private_key');
    expect(text.slice(m!.end)).toBe(' y');
  });
});
