import { describe, expect, it } from 'vitest';
import { redactorFor, redactSecrets, secretForms } from '../../../src/llm/secrets.js';

const KEY = 'sk-proj-A1b2/C3d4+E5f6"G7h8';

describe('secret redaction', () => {
  it('derives raw, JSON-escaped, URL-encoded and base64/base64url forms', () => {
    const forms = secretForms(KEY);
    expect(forms).toContain(KEY);
    expect(forms).toContain(JSON.stringify(KEY).slice(1, -1));
    expect(forms).toContain(encodeURIComponent(KEY));
    expect(forms.some((f) => Buffer.from(KEY).toString('base64').includes(f))).toBe(true);
    expect(forms.some((f) => Buffer.from(KEY).toString('base64url').includes(f))).toBe(true);
  });

  it('finds the key inside longer base64 text at every byte alignment', () => {
    for (const prefix of ['', 'a', 'ab', 'abc']) {
      const encoded = Buffer.from(`${prefix}{"key":"${KEY}"}`).toString('base64');
      const out = redactSecrets(`echo ${encoded}`, [KEY]);
      expect(out).toContain('[REDACTED]');
    }
  });

  it('leaves ordinary text and short secrets alone; a redactor with no secrets is the identity', () => {
    expect(redactSecrets('Well met, traveller.', [KEY])).toBe('Well met, traveller.');
    expect(secretForms('abc')).toEqual([]);
    expect(redactorFor([])('x sk y')).toBe('x sk y');
    expect(redactorFor([KEY])(`Bearer ${KEY}`)).toBe('Bearer [REDACTED]');
  });
});
