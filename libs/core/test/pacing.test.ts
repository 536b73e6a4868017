import { describe, expect, it } from 'vitest';
import { MAX_NOT_BEFORE_WAIT_MS, MAX_PACING_HORIZON_MS, NOT_BEFORE_CLOCK_SLACK_MS } from '@tdm/core';

describe('the notBefore contract between scheduler and crawler', () => {
  it('lets a crawler wait for the furthest booking the scheduler makes, plus clock slack', () => {
    expect(MAX_PACING_HORIZON_MS).toBe(10_000);
    expect(NOT_BEFORE_CLOCK_SLACK_MS).toBeGreaterThan(0);
    expect(MAX_NOT_BEFORE_WAIT_MS).toBe(MAX_PACING_HORIZON_MS + NOT_BEFORE_CLOCK_SLACK_MS);
  });
});
