import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, fixedInterval, nextGridSlot, parseSchedulePolicy } from '@tdm/core';

const anchor = new Date('2024-05-01T10:00:00.000Z');
const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const at = (offsetMs: number) => new Date(anchor.getTime() + offsetMs);

describe('nextGridSlot on a fixed interval', () => {
  it.each([
    ['1s', SEC],
    ['15m', 15 * MIN],
    ['2d', 2 * DAY],
  ])('every %s: slots are anchor + k·interval', (_name, interval) => {
    const policy = fixedInterval(interval);
    expect(nextGridSlot(policy, anchor, anchor)).toEqual(at(interval));
    expect(nextGridSlot(policy, anchor, at(interval - 1))).toEqual(at(interval));
    // Strictly after: a check exactly on a slot gets the next one.
    expect(nextGridSlot(policy, anchor, at(interval))).toEqual(at(2 * interval));
    // Before the anchor: the anchor itself is the first slot.
    expect(nextGridSlot(policy, anchor, at(-5 * interval))).toEqual(anchor);
  });

  it.each([
    ['1s', SEC],
    ['15m', 15 * MIN],
    ['2d', 2 * DAY],
  ])('every %s: no drift over 10,000 slots when every check is late', (_name, interval) => {
    const policy = fixedInterval(interval);
    let slot = anchor;
    for (let k = 1; k <= 10_000; k++) {
      // The check ran late (up to 99% of an interval, uneven ms); the next slot ignores it.
      const lateness = Math.floor((((k * 7919) % 100) / 100) * interval) + (k % 13);
      const next = nextGridSlot(policy, anchor, new Date(slot.getTime() + Math.min(lateness, interval - 1)));
      expect(next.getTime()).toBe(anchor.getTime() + k * interval);
      slot = next;
    }
  });

  it('a scheduler that fell behind skips the missed slots instead of piling them up', () => {
    const policy = fixedInterval(15 * MIN);
    // Ten slots late: the next slot is the first one after now, still on the grid.
    expect(nextGridSlot(policy, anchor, at(10 * 15 * MIN + 7 * MIN))).toEqual(at(11 * 15 * MIN));
  });

  it('property: the result is on the grid, after `after`, and at most one interval later', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: SEC, max: 30 * DAY }),
        fc.integer({ min: -DAY, max: 365 * DAY }),
        (interval, offset) => {
          const next = nextGridSlot(fixedInterval(interval), anchor, at(offset)).getTime() - anchor.getTime();
          expect(next).toBeGreaterThan(offset);
          expect(next % interval).toBe(0);
          expect(next).toBeGreaterThanOrEqual(0);
          if (offset >= 0) expect(next - offset).toBeLessThanOrEqual(interval);
        },
      ),
    );
  });
});

describe('nextGridSlot with a policy', () => {
  const policy = parseSchedulePolicy('5m for 24h, then 1h');

  it('parses the phases', () => {
    expect(policy.phases).toEqual([
      { intervalMs: 5 * MIN, durationMs: DAY },
      { intervalMs: HOUR, durationMs: null },
    ]);
  });

  it('checks every 5 minutes in the first 24 hours', () => {
    expect(nextGridSlot(policy, anchor, anchor)).toEqual(at(5 * MIN));
    expect(nextGridSlot(policy, anchor, at(3 * HOUR + 1))).toEqual(at(3 * HOUR + 5 * MIN));
    expect(nextGridSlot(policy, anchor, at(DAY - 5 * MIN - 1))).toEqual(at(DAY - 5 * MIN));
  });

  it('switches phase exactly at anchor + 24h', () => {
    expect(nextGridSlot(policy, anchor, at(DAY - 5 * MIN))).toEqual(at(DAY));
    expect(nextGridSlot(policy, anchor, at(DAY - 1))).toEqual(at(DAY));
    expect(nextGridSlot(policy, anchor, at(DAY))).toEqual(at(DAY + HOUR));
    expect(nextGridSlot(policy, anchor, at(DAY + 59 * MIN))).toEqual(at(DAY + HOUR));
    expect(nextGridSlot(policy, anchor, at(10 * DAY + 1))).toEqual(at(10 * DAY + HOUR));
  });

  it('walks the whole grid without drift', () => {
    const slots: number[] = [];
    let t = anchor;
    for (let i = 0; i < 24 * 12 + 48; i++) {
      t = nextGridSlot(policy, anchor, new Date(t.getTime() + 61 * SEC));
      slots.push(t.getTime() - anchor.getTime());
    }
    // 5-minute slots from 5m to 24h (288 of them, the last at 24h), then hourly.
    expect(slots.slice(0, 288)).toEqual(Array.from({ length: 288 }, (_, k) => (k + 1) * 5 * MIN));
    expect(slots.slice(288, 291)).toEqual([DAY + HOUR, DAY + 2 * HOUR, DAY + 3 * HOUR]);
  });

  it('handles three phases, with a phase length that is not a multiple of its interval', () => {
    const three = parseSchedulePolicy('every 7m for 20m, then every 1h for 2h, then 1d');
    expect(three.phases).toEqual([
      { intervalMs: 7 * MIN, durationMs: 20 * MIN },
      { intervalMs: HOUR, durationMs: 2 * HOUR },
      { intervalMs: DAY, durationMs: null },
    ]);
    expect(nextGridSlot(three, anchor, at(14 * MIN))).toEqual(at(20 * MIN));
    expect(nextGridSlot(three, anchor, at(20 * MIN))).toEqual(at(20 * MIN + HOUR));
    expect(nextGridSlot(three, anchor, at(20 * MIN + HOUR))).toEqual(at(20 * MIN + 2 * HOUR));
    expect(nextGridSlot(three, anchor, at(20 * MIN + 2 * HOUR))).toEqual(at(20 * MIN + 2 * HOUR + DAY));
  });
});

describe('nextGridSlot on a policy that ends', () => {
  it('throws ConfigError naming the policy once its last phase is over', () => {
    const ends = { phases: [{ intervalMs: MIN, durationMs: HOUR }], text: '1m for 1h' };
    expect(nextGridSlot(ends, anchor, at(HOUR - MIN - 1))).toEqual(at(HOUR - MIN));
    expect(() => nextGridSlot(ends, anchor, at(HOUR))).toThrow(ConfigError);
    expect(() => nextGridSlot(ends, anchor, at(HOUR))).toThrow('schedule policy "1m for 1h"');
  });
});

describe('parseSchedulePolicy errors', () => {
  it.each([
    ['', /empty schedule policy/],
    ['  ,  ', /empty schedule policy/],
    ['5m for 24h', /the last phase must be open-ended/],
    ['5m, then 1h', /only the last phase may be open-ended/],
    ['500ms', /interval below 1s/],
    ['5 minutes', /expected "<interval> for <duration>"/],
    ['5x for 1h, then 1h', /not a duration: "5x"/],
    ['5m for soon, then 1h', /not a duration: "soon"/],
  ])('%j is rejected', (text, message) => {
    expect(() => parseSchedulePolicy(text)).toThrow(ConfigError);
    expect(() => parseSchedulePolicy(text)).toThrow(message);
  });

  it('keeps the text for display', () => {
    expect(parseSchedulePolicy('Every 5m for 24h, THEN 1h').text).toBe('Every 5m for 24h, THEN 1h');
  });
});
