/** The API's JSON schemas spell no vocabulary of their own: they are @tdm/core's words. */
import { describe, expect, it } from 'vitest';
import { HASH_LENGTHS, ITEM_STATES, MODES, OFFLINE_REASONS, OUTCOMES, REASONS } from '@tdm/core';
import {
  checkLogEntrySchema,
  itemViewSchema,
  removalRowSchema,
  reportSchema,
  transitionSchema,
} from '../src/schemas.js';

describe('API schemas', () => {
  it('take modes, states, outcomes and reasons from @tdm/core', () => {
    expect(reportSchema.properties.mode.enum).toEqual(MODES);
    expect(itemViewSchema.properties.mode.enum).toEqual(MODES);
    expect(itemViewSchema.properties.state.enum).toEqual(ITEM_STATES);
    expect(transitionSchema.properties.from.enum).toEqual(ITEM_STATES);
    expect(transitionSchema.properties.reason.enum).toEqual([...REASONS, null]);
    expect(checkLogEntrySchema.properties.outcome.enum).toEqual(OUTCOMES);
    expect(checkLogEntrySchema.properties.reason.enum).toEqual([...REASONS, null]);
    expect(itemViewSchema.properties.offlineReason.enum).toEqual([...OFFLINE_REASONS, null]);
    expect(removalRowSchema.properties.offlineReason.enum).toEqual([...OFFLINE_REASONS, null]);
  });

  it('take the hash lengths from @tdm/core', () => {
    for (const [name, length] of Object.entries(HASH_LENGTHS)) {
      const { pattern } = reportSchema.properties[name as keyof typeof HASH_LENGTHS];
      expect(new RegExp(pattern).test('a'.repeat(length)), name).toBe(true);
      expect(new RegExp(pattern).test('A'.repeat(length)), name).toBe(true);
      expect(new RegExp(pattern).test('a'.repeat(length - 1)), name).toBe(false);
      expect(new RegExp(pattern).test('a'.repeat(length + 1)), name).toBe(false);
    }
  });
});
