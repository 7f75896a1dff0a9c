import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors.js';
import {
  findPii,
  GuardrailsMonitor,
  normalizedString,
  normalizeText,
  SUPPORTED_LOCALES,
} from '../../../src/guardrails/index.js';
import type { ViolationRecord } from '../../../src/guardrails/violation-store.js';

const g = new GuardrailsMonitor({ policy: 'teen' });
const check = (text: string, locale?: string) =>
  g.checkSync({ text, stage: 'output', context: locale ? { locale } : {} });
const categories = (text: string, locale?: string) => check(text, locale).violations.map((v) => v.category);

describe('locale term lists', () => {
  it('lists every required locale', () => {
    expect([...SUPPORTED_LOCALES].sort()).toEqual(
      ['de', 'es', 'fr', 'it', 'ja', 'ko', 'nl', 'pl', 'pt', 'ru', 'tr', 'zh'].sort(),
    );
  });

  it('applies terms in their own language only', () => {
    expect(categories('Eres un hijo de puta', 'es')).toContain('profanity');
    expect(categories('Was für eine Scheiße, du Arschloch.', 'de')).toContain('profanity');
    expect(check('El caballo negro corre por el campo', 'es').action).toBe('allow');
    expect(check('Das Gift ist in der Flasche.', 'de').action).toBe('allow');
    expect(check('Full fart framåt, kapten!', 'sv').action).toBe('allow');
    // French lists "negro"; it applies to French, not Spanish.
    expect(categories('Quel negro!', 'fr')).toContain('slur');
    expect(categories('¡Qué negro!', 'es')).toEqual([]);
  });

  it('keeps ambiguous English terms out of other languages but unambiguous ones everywhere', () => {
    expect(categories('Mein Schild ist dick.', 'de')).toEqual([]);
    expect(categories('Git ve su getir.', 'tr')).toEqual([]);
    expect(categories('Il est trop tard.', 'fr')).toEqual([]);
    expect(categories('Fuck you', 'de')).toContain('profanity');
    expect(categories('what a dick')).toContain('profanity');
  });

  it('selects lists by script, and by function words for Latin script, without context.locale', () => {
    expect(categories('Ты сука, блядь!')).toContain('profanity');
    expect(categories('他妈的，你这个傻逼')).toContain('profanity');
    expect(categories('お前はクソ野郎だ')).toContain('profanity');
    expect(categories('씨발 뭐야')).toContain('profanity');
    expect(categories('Siktir git orospu çocuğu')).toContain('profanity');
    expect(categories('Vete a la mierda, cabrón, no eres nada.')).toContain('profanity');
    // Without the language, a lone Spanish word is not judged by another language's list.
    expect(categories('negro')).toEqual([]);
  });

  it('matches CJK without word boundaries and keeps syllables, voicing and ñ/ı apart', () => {
    expect(categories('我操你妈的')).toContain('profanity');
    expect(check('マンゴーを食べよう').action).toBe('allow'); // not まんこ
    expect(check('我妈妈的剑很锋利').action).toBe('allow'); // not 妈的
    expect(check('그 문을 보지 마').action).toBe('allow');
    expect(check('Bu iş çok sıkıntılı, değil mi?', 'tr').action).toBe('allow');
    expect(check('Necesito un cono de tráfico.', 'es').action).toBe('allow');
    expect(categories('¡Coño!', 'es')).toContain('profanity');
  });

  it('folds full-width and half-width forms', () => {
    expect(normalizedString(normalizeText('ｸｿ'))).toBe(normalizedString(normalizeText('クソ')));
    expect(normalizedString(normalizeText('ｶﾞ'))).toBe(normalizedString(normalizeText('ガ')));
    expect(normalizedString(normalizeText('ガ'))).not.toBe(normalizedString(normalizeText('カ')));
    expect(categories('ｸｿ野郎')).toContain('profanity');
    expect(categories('Ｓｃｈｅｉßｅ', 'de')).toContain('profanity');
  });

  it('rejects unknown locales in the options', () => {
    expect(() => new GuardrailsMonitor({ locales: ['xx'] })).toThrow(ValidationError);
    expect(() =>
      g.checkSync({ text: 'hola', stage: 'output', context: { locale: 42 as unknown as string } }),
    ).toThrow(/context\.locale/);
    const spanishOnly = new GuardrailsMonitor({ locales: ['es'] });
    const r = spanishOnly.checkSync({
      text: 'Was für eine Scheiße',
      stage: 'output',
      context: { locale: 'de' },
    });
    expect(r.violations).toEqual([]);
  });
});

describe('fiction versus the real world', () => {
  it('rates threats to characters as violence, real-world ones as critical, the rest as a flag', () => {
    expect(check('I know where you live, hero. The cottage by the mill.').action).toBe('allow');
    const everyone = new GuardrailsMonitor({ policy: 'everyone' });
    const fiction = everyone.checkSync({ text: 'I know where you live, hero.', stage: 'output' });
    expect(fiction.violations.map((v) => [v.category, v.severity])).toEqual([['violence', 'medium']]);
    const real = check('I know where you live in real life, player.');
    expect(real.action).toBe('block');
    expect(real.violations[0]).toMatchObject({ category: 'threat', severity: 'critical' });
    const ambiguous = check('I know where you live.');
    expect(ambiguous.action).toBe('flag');
    expect(ambiguous.violations[0]).toMatchObject({ category: 'threat', severity: 'low', review: true });
    expect(check('Keep losing and I will dox you and swat you.').action).toBe('block');
    expect(check('Sé dónde vives, héroe: la cabaña junto al molino.', 'es').action).toBe('allow');
    expect(check('Jugador, sé dónde vives. Sal del juego.', 'es').action).toBe('block');
  });

  it('sends ambiguous threats to the review queue as pending', () => {
    const records: ViolationRecord[] = [];
    const m = new GuardrailsMonitor({ sink: { add: (r: ViolationRecord) => records.push(r) > 0 } });
    m.checkSync({ text: 'I know where you live.', stage: 'output' });
    expect(records.map((r) => [r.category, r.reviewStatus])).toEqual([['threat', 'pending']]);
  });

  it('does not treat fictional phone numbers or documentation addresses as PII', () => {
    expect(findPii('Call me at 555-0199 if the wolves return.')).toEqual([]);
    expect(findPii('(212) 555-0142 or +1 212 555 0100')).toEqual([]);
    expect(findPii('ping 192.0.2.1, 198.51.100.7, 203.0.113.45 or 2001:db8::1')).toEqual([]);
    expect(findPii('call 555-0200').map((m) => m.type)).toEqual(['phone']);
    expect(findPii('my ip: 81.2.69.160').map((m) => m.type)).toEqual(['ipv4']);
  });

  it('keeps capitalised names that collide with terms at low', () => {
    expect(check('My brother Dick is the blacksmith.').action).toBe('allow');
    const everyone = new GuardrailsMonitor({ policy: 'everyone' });
    const r = everyone.checkSync({ text: 'My brother Dick is the blacksmith.', stage: 'output' });
    expect(r.violations.map((v) => v.severity)).toEqual(['low']);
    expect(check('Ask Hancock or Cockburn at the mill.').action).toBe('allow');
    expect(check('La leggenda di Troia', 'it').action).toBe('allow');
    expect(check('what a dick').action).toBe('redact');
  });
});

describe('bulk spans reuse', () => {
  it('redacts correctly when consecutive checks reuse the released span arrays', () => {
    const first = g.checkSync({ text: 'shit '.repeat(300), stage: 'output' });
    expect(first.text).toBe('**** '.repeat(300));
    const second = g.checkSync({ text: 'calm shit '.repeat(200), stage: 'output' });
    expect(second.text).toBe('calm **** '.repeat(200));
    const third = g.checkSync({ text: 'говно '.repeat(150), stage: 'output', context: { locale: 'ru' } });
    expect(third.text).toBe('***** '.repeat(150));
  });
});
