import { describe, expect, it } from 'vitest';
import { ValidationError, isStorableText, validateReport } from '@tdm/core';

describe('isStorableText', () => {
  it.each([
    ['plain', 'abc', true],
    ['a surrogate pair (emoji)', 'x🎉y', true],
    ['combining marks and RTL', 'e\u0301 \u202eabc', true],
    ['NUL', 'a\u0000b', false],
    ['a lone high surrogate', 'a\ud83c', false],
    ['a lone low surrogate', '\udf89b', false],
    ['two high surrogates', '\ud83c\ud83c\udf89', false],
  ])('%s', (_name, value, expected) => {
    expect(isStorableText(value)).toBe(expected);
  });

  it('validateReport names the field of the bad string', () => {
    const defaults = { now: new Date(0), source: 'api' };
    for (const [field, report] of [
      ['url', { url: 'https://a.example/\ud800' }],
      ['reportId', { url: 'https://a.example/', reportId: '\u0000' }],
      ['labels', { url: 'https://a.example/', labels: { a: '\udc00' } }],
    ] as const) {
      let error: unknown;
      try {
        validateReport(report, defaults);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ code: 'TDM_ERR_TEXT', field });
    }
  });
});
