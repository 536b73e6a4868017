import { describe, expect, it } from 'vitest';
import { compileDeadlinePolicy, ConfigError, loadConfig, validateReport, ValidationError } from '@tdm/core';

const now = new Date('2024-05-01T00:00:00.000Z');
const notice = '2024-05-01T10:00:00Z';
const url = 'https://example.org/a.jpg';

describe('report deadlines', () => {
  it('defaults to 24 h after the notice, else after the report time', () => {
    expect(
      validateReport({ url, noticeSentAt: notice }, { now, source: 'api' }).deadlineAt.toISOString(),
    ).toBe('2024-05-02T10:00:00.000Z');
    expect(validateReport({ url }, { now, source: 'api' }).deadlineAt.toISOString()).toBe(
      '2024-05-02T00:00:00.000Z',
    );
  });

  it('takes deadlineAt, or deadline as a duration after the notice', () => {
    const defaults = { now, source: 'api' };
    expect(
      validateReport({ url, noticeSentAt: notice, deadline: '1h' }, defaults).deadlineAt.toISOString(),
    ).toBe('2024-05-01T11:00:00.000Z');
    expect(
      validateReport({ url, noticeSentAt: notice, deadlineAt: '2024-05-01T22:00:00+02:00' }, defaults)
        .deadlineAt,
    ).toEqual(new Date('2024-05-01T20:00:00.000Z'));
  });

  it('applies the policy per source', () => {
    const deadline = compileDeadlinePolicy(12 * 3600_000, { regulator: '1h' });
    const of = (source: string) =>
      validateReport(
        { url, source, noticeSentAt: notice },
        { now, source: 'api', deadline },
      ).deadlineAt.toISOString();
    expect(of('regulator')).toBe('2024-05-01T11:00:00.000Z');
    expect(of('hotline')).toBe('2024-05-01T22:00:00.000Z');
  });

  it.each([
    [{ deadline: 'soon' }, 'TDM_ERR_DEADLINE', 'deadline'],
    [{ deadline: '0s' }, 'TDM_ERR_DEADLINE', 'deadline'],
    [{ deadline: 12 }, 'TDM_ERR_FIELD', 'deadline'],
    [{ deadline: '1h', deadlineAt: '2024-05-02T00:00:00Z' }, 'TDM_ERR_DEADLINE', 'deadline'],
    [{ deadlineAt: '2024-05-01T09:00:00Z' }, 'TDM_ERR_DEADLINE', 'deadlineAt'],
    [{ deadlineAt: '2024-05-02' }, 'TDM_ERR_TIMESTAMP', 'deadlineAt'],
  ])('rejects %j with %s', (fields, code, field) => {
    try {
      validateReport({ url, noticeSentAt: notice, ...fields }, { now, source: 'api' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).code).toBe(code);
      expect((error as ValidationError).field).toBe(field);
    }
  });

  it('reads TDM_DEADLINE and TDM_DEADLINE_BY_SOURCE, keeping the case of sources', () => {
    const config = loadConfig({
      env: { TDM_DEADLINE: '12h', TDM_DEADLINE_BY_SOURCE: 'Regulator=1h, hotline=24h' },
    });
    expect(config.deadlineMs).toBe(12 * 3600_000);
    expect(compileDeadlinePolicy(config.deadlineMs, config.deadlineBySource).bySourceMs).toEqual({
      Regulator: 3600_000,
      hotline: 24 * 3600_000,
    });
    expect(() => loadConfig({ env: { TDM_DEADLINE_BY_SOURCE: 'regulator=fast' } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { TDM_DEADLINE_BY_SOURCE: 'regulator=fast' } })).toThrow(
      /TDM_DEADLINE_BY_SOURCE: regulator/,
    );
  });
});
