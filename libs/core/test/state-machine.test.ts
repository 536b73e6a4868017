import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  OFFLINE_REASONS,
  applyCheck,
  newItemStatus,
  timeToRemovalSeconds,
  type CheckObservation,
  type ConfirmationPolicy,
  type ItemStatus,
  type Reason,
  type Transition,
} from '@tdm/core';

const T0 = Date.parse('2024-05-01T00:00:00.000Z');
const MIN = 60_000;
const policy: ConfirmationPolicy = {
  confirmDefinitive: 2,
  confirmTransient: 4,
  confirmTransientMinSpanMs: 30 * MIN,
};

/**
 * A check in shorthand: `on`, `err`, or an offline reason such as `http_404`. Check i is
 * scheduled at T0 + i·interval and starts `lateMs` later.
 */
function check(spec: string, i: number, intervalMs = 15 * MIN, lateMs = 1000): CheckObservation {
  const scheduledAt = new Date(T0 + i * intervalMs);
  const startedAt = new Date(scheduledAt.getTime() + lateMs);
  if (spec === 'on') return { scheduledAt, startedAt, outcome: 'online', reason: null };
  if (spec === 'err') return { scheduledAt, startedAt, outcome: 'error', reason: 'internal' };
  return { scheduledAt, startedAt, outcome: 'offline', reason: spec as Reason };
}

/** Start time of check i in the shorthand's grid. */
function at(i: number, intervalMs = 15 * MIN): Date {
  return new Date(T0 + i * intervalMs + 1000);
}

function run(specs: string[], intervalMs = 15 * MIN, start: ItemStatus = newItemStatus(), offset = 0) {
  let status = start;
  const transitions: Transition[] = [];
  let awaitingConfirmation = false;
  specs.forEach((spec, i) => {
    const result = applyCheck(status, check(spec, offset + i, intervalMs), policy);
    expect(result.applied).toBe(true);
    status = result.status;
    transitions.push(...result.transitions);
    awaitingConfirmation = result.awaitingConfirmation;
  });
  return { status, transitions, awaitingConfirmation };
}

describe('applyCheck: table', () => {
  it.each<{
    name: string;
    specs: string[];
    state: string;
    offlineAt: number | null;
    lastOnlineAt: number | null;
    reason?: string;
  }>([
    { name: 'first online check', specs: ['on'], state: 'online', offlineAt: null, lastOnlineAt: 0 },
    {
      name: 'one definitive offline is not enough (K1=2)',
      specs: ['on', 'http_404'],
      state: 'online',
      offlineAt: null,
      lastOnlineAt: 0,
    },
    {
      name: 'K1 definitive checks confirm',
      specs: ['on', 'http_404', 'http_404'],
      state: 'offline',
      offlineAt: 1,
      lastOnlineAt: 0,
      reason: 'http_404',
    },
    {
      name: 'mixed definitive reasons confirm',
      specs: ['on', 'http_410', 'dns_nxdomain'],
      state: 'offline',
      offlineAt: 1,
      lastOnlineAt: 0,
      reason: 'dns_nxdomain',
    },
    {
      name: 'an online check breaks the run',
      specs: ['on', 'http_404', 'on', 'http_404'],
      state: 'online',
      offlineAt: null,
      lastOnlineAt: 2,
    },
    {
      name: 'pending → offline without an online sighting',
      specs: ['http_451', 'placeholder'],
      state: 'offline',
      offlineAt: 0,
      lastOnlineAt: null,
      reason: 'placeholder',
    },
    {
      name: 'three transient checks are not enough (K2=4)',
      specs: ['on', 'http_5xx', 'timeout', 'http_5xx'],
      state: 'online',
      offlineAt: null,
      lastOnlineAt: 0,
    },
    {
      name: 'K2 transient checks over 45m confirm',
      specs: ['on', 'http_5xx', 'timeout', 'connection_reset', 'http_5xx'],
      state: 'offline',
      offlineAt: 1,
      lastOnlineAt: 0,
      reason: 'http_5xx',
    },
    {
      name: 'a transient check makes the run need K2',
      specs: ['on', 'timeout', 'http_404', 'http_404'],
      state: 'online',
      offlineAt: null,
      lastOnlineAt: 0,
    },
    {
      name: 'a definitive reason names a mixed run',
      specs: ['on', 'timeout', 'http_404', 'http_5xx', 'timeout'],
      state: 'offline',
      offlineAt: 1,
      lastOnlineAt: 0,
      reason: 'http_404',
    },
    {
      name: 'error checks neither extend nor end a run',
      specs: ['on', 'http_404', 'err', 'err', 'http_404'],
      state: 'offline',
      offlineAt: 1,
      lastOnlineAt: 0,
      reason: 'http_404',
    },
    {
      name: 'error checks alone change nothing',
      specs: ['on', 'err', 'err', 'err'],
      state: 'online',
      offlineAt: null,
      lastOnlineAt: 0,
    },
    {
      name: 'error checks keep an item pending',
      specs: ['err', 'err'],
      state: 'pending',
      offlineAt: null,
      lastOnlineAt: null,
    },
  ])('$name', ({ specs, state, offlineAt, lastOnlineAt, reason }) => {
    const { status } = run(specs);
    expect(status.state).toBe(state);
    expect(status.checks).toBe(specs.length);
    expect(status.offlineAt).toEqual(offlineAt === null ? null : at(offlineAt));
    expect(status.lastOnlineAt).toEqual(lastOnlineAt === null ? null : at(lastOnlineAt));
    if (reason !== undefined) expect(status.offlineReason).toBe(reason);
  });

  it('records the transitions, the bracket and the confirmation time', () => {
    const { status, transitions, awaitingConfirmation } = run([
      'on',
      'on',
      'http_404',
      'http_404',
      'http_404',
    ]);
    expect(transitions).toEqual([
      { from: 'pending', to: 'online', at: at(0), reason: null },
      { from: 'online', to: 'offline', at: at(2), reason: 'http_404' },
    ]);
    expect(status.lastOnlineAt).toEqual(at(1));
    expect(status.offlineAt).toEqual(at(2));
    expect(status.confirmedAt).toEqual(at(3));
    expect(status.lastOnlineAt!.getTime()).toBeLessThan(status.offlineAt!.getTime());
    expect(status.firstCheckedAt).toEqual(at(0));
    expect(status.lastCheckedAt).toEqual(at(4));
    expect(awaitingConfirmation).toBe(false);
  });

  it('asks for an early re-check while a run is open and unconfirmed', () => {
    expect(run(['on', 'http_404']).awaitingConfirmation).toBe(true);
    expect(run(['on', 'http_404', 'http_404']).awaitingConfirmation).toBe(false);
    expect(run(['on']).awaitingConfirmation).toBe(false);
  });

  it('a transient run also needs the minimum span', () => {
    // Checks every minute: four transient checks span 3 minutes, far below 30.
    const { status } = run(['on', ...Array<string>(4).fill('timeout')], MIN);
    expect(status.state).toBe('online');
    // The run confirms at the first check at least 30 minutes after the run's first.
    const long = run(['on', ...Array<string>(31).fill('timeout')], MIN);
    expect(long.status.state).toBe('offline');
    expect(long.status.offlineAt).toEqual(at(1, MIN));
    expect(long.status.confirmedAt).toEqual(at(31, MIN));
    const shorter = run(['on', ...Array<string>(30).fill('timeout')], MIN);
    expect(shorter.status.state).toBe('online');
  });

  it('treats an offline check without an offline reason as transient', () => {
    let status = run(['on']).status;
    status = applyCheck(status, { ...check('err', 1), outcome: 'offline', reason: null }, policy).status;
    status = applyCheck(
      status,
      { ...check('err', 2), outcome: 'offline', reason: 'internal' },
      policy,
    ).status;
    // Two checks would confirm a definitive run (K1=2); these need K2.
    expect(status.state).toBe('online');
    expect(status.runLength).toBe(2);
    expect(status.runAllDefinitive).toBe(false);
    expect(status.runReason).toBe('http_5xx');
  });

  it('reappearance is a new transition and the history keeps both', () => {
    const first = run(['on', 'http_404', 'http_404', 'http_404', 'on']);
    expect(first.status.state).toBe('online');
    expect(first.transitions.map((t) => `${t.from}→${t.to}`)).toEqual([
      'pending→online',
      'online→offline',
      'offline→online',
    ]);
    expect(first.transitions[2]!.at).toEqual(at(4));
    // The removal's timestamps stay until a new removal is confirmed.
    expect(first.status.offlineAt).toEqual(at(1));
    expect(first.status.lastOnlineAt).toEqual(at(4));

    const second = run(['http_410', 'http_410'], 15 * MIN, first.status, 5);
    const history = [...first.transitions, ...second.transitions];
    expect(history.map((t) => `${t.from}→${t.to}@${t.at.getTime() - T0}`)).toEqual([
      `pending→online@${at(0).getTime() - T0}`,
      `online→offline@${at(1).getTime() - T0}`,
      `offline→online@${at(4).getTime() - T0}`,
      `online→offline@${at(5).getTime() - T0}`,
    ]);
    expect(second.status.offlineAt).toEqual(at(5));
    expect(second.status.offlineReason).toBe('http_410');
    expect(second.status.lastOnlineAt).toEqual(at(4));
  });

  it('ignores a result older than the last applied one', () => {
    const afterThird = run(['on', 'on', 'http_404']).status;
    const late = applyCheck(afterThird, check('http_404', 1), policy);
    expect(late.applied).toBe(false);
    expect(late.status).toBe(afterThird);
    expect(late.transitions).toEqual([]);
    expect(late.awaitingConfirmation).toBe(true);
  });

  it('ignores a redelivered (duplicate) result', () => {
    const offline = run(['on', 'http_404', 'http_404']).status;
    const again = applyCheck(offline, check('http_404', 2), policy);
    expect(again.applied).toBe(false);
    expect(again.status).toBe(offline);
    // A duplicate that claims another outcome for the same slot changes nothing either.
    expect(applyCheck(offline, check('on', 2), policy).status).toBe(offline);
  });

  it('an offline check that started before the newest online sighting opens no run', () => {
    // Slot 0 ran 40 minutes late (a redelivered job) and saw the item online; slots 1 and
    // 2 ran on time, before it, and saw it offline: they are outdated by the later sighting.
    let status = applyCheck(newItemStatus(), check('on', 0, 15 * MIN, 40 * MIN), policy).status;
    status = applyCheck(status, check('http_404', 1), policy).status;
    status = applyCheck(status, check('http_404', 2), policy).status;
    expect(status.state).toBe('online');
    expect(status.runLength).toBe(0);
    expect(status.checks).toBe(3);
    status = applyCheck(status, check('http_404', 3), policy).status;
    status = applyCheck(status, check('http_404', 4), policy).status;
    expect(status.state).toBe('offline');
    expect(status.offlineAt).toEqual(at(3));
    expect(status.lastOnlineAt).toEqual(new Date(T0 + 40 * MIN));
  });

  it('lastOnlineAt and lastCheckedAt never move backwards', () => {
    let status = applyCheck(newItemStatus(), check('on', 0, 15 * MIN, 40 * MIN), policy).status;
    status = applyCheck(status, check('on', 1), policy).status;
    expect(status.lastOnlineAt).toEqual(new Date(T0 + 40 * MIN));
    expect(status.lastCheckedAt).toEqual(new Date(T0 + 40 * MIN));
    expect(status.firstCheckedAt).toEqual(at(1));
  });

  it('an online check that started before the confirmed removal is no reappearance', () => {
    // Slots 1 and 2 ran late (redelivered) and confirm a removal at slot 1's late start;
    // slot 3 ran on time, so it started before offlineAt and saw the item still there.
    let status = run(['on']).status;
    status = applyCheck(status, check('http_404', 1, 15 * MIN, 50 * MIN), policy).status;
    status = applyCheck(status, check('http_404', 2, 15 * MIN, 40 * MIN), policy).status;
    expect(status.state).toBe('offline');
    expect(status.offlineAt).toEqual(new Date(T0 + 65 * MIN));
    expect(status.confirmedAt).toEqual(new Date(T0 + 70 * MIN));
    const early = applyCheck(status, check('on', 3), policy);
    expect(early.applied).toBe(true);
    expect(early.transitions).toEqual([]);
    expect(early.status.state).toBe('offline');
    expect(early.status.lastOnlineAt).toEqual(at(0));
    const later = applyCheck(early.status, check('on', 5), policy);
    expect(later.transitions).toEqual([{ from: 'offline', to: 'online', at: at(5), reason: null }]);
  });
});

describe('timeToRemovalSeconds', () => {
  it('measures from the notice, else from the report', () => {
    const offlineAt = new Date('2024-05-02T00:00:00Z');
    expect(
      timeToRemovalSeconds(offlineAt, new Date('2024-05-01T00:00:00Z'), new Date('2024-04-01T00:00:00Z')),
    ).toBe(86_400);
    expect(timeToRemovalSeconds(offlineAt, null, new Date('2024-05-01T23:00:00Z'))).toBe(3600);
    expect(timeToRemovalSeconds(null, null, new Date())).toBeNull();
  });
});

describe('applyCheck: properties', () => {
  const outcome = fc.oneof(
    { weight: 4, arbitrary: fc.constant<[CheckObservation['outcome'], Reason | null]>(['online', null]) },
    {
      weight: 5,
      arbitrary: fc
        .constantFrom(...OFFLINE_REASONS)
        .map((r): [CheckObservation['outcome'], Reason | null] => ['offline', r]),
    },
    {
      weight: 1,
      arbitrary: fc.constant<[CheckObservation['outcome'], Reason | null]>(['error', 'internal']),
    },
  );
  const intervalMs = fc.constantFrom(1000, MIN, 15 * MIN);
  // A sequence of checks on the grid; each starts late by up to three intervals (a
  // redelivered job), so start times need not follow scheduled times.
  const scenario = intervalMs.chain((interval) =>
    fc
      .array(fc.tuple(outcome, fc.integer({ min: 0, max: 3 * interval })), { minLength: 1, maxLength: 30 })
      .chain((specs) => {
        const checks: CheckObservation[] = specs.map(([[o, reason], late], i) => ({
          scheduledAt: new Date(T0 + i * interval),
          startedAt: new Date(T0 + i * interval + late),
          outcome: o,
          reason,
        }));
        // Any delivery: a permutation with duplicates and omissions.
        return fc.tuple(
          fc.constant(checks),
          fc.array(fc.integer({ min: 0, max: checks.length - 1 }), {
            minLength: 1,
            maxLength: 3 * checks.length,
          }),
          fc.constantFrom<ConfirmationPolicy>(
            policy,
            { confirmDefinitive: 1, confirmTransient: 1, confirmTransientMinSpanMs: 0 },
            { confirmDefinitive: 3, confirmTransient: 5, confirmTransientMinSpanMs: 5000 },
          ),
        );
      }),
  );

  it('never brackets a removal wrongly, keeps transitions in time order, and ignores redelivery', () => {
    fc.assert(
      fc.property(scenario, ([checks, order, confirmation]) => {
        let status = newItemStatus();
        const history: Transition[] = [];
        for (const index of order) {
          const c = checks[index]!;
          const result = applyCheck(status, c, confirmation);
          status = result.status;
          history.push(...result.transitions);
          if (status.state === 'offline') {
            expect(status.offlineAt).not.toBeNull();
            if (status.lastOnlineAt !== null)
              expect(status.lastOnlineAt.getTime()).toBeLessThan(status.offlineAt!.getTime());
            expect(status.confirmedAt!.getTime()).toBeGreaterThanOrEqual(status.offlineAt!.getTime());
          }
          // The same check delivered again changes nothing.
          const again = applyCheck(status, c, confirmation);
          expect(again.applied).toBe(false);
          expect(again.status).toBe(status);
          expect(again.transitions).toEqual([]);
        }
        for (let i = 1; i < history.length; i++) {
          expect(history[i]!.at.getTime()).toBeGreaterThan(history[i - 1]!.at.getTime());
          expect(history[i]!.from).toBe(history[i - 1]!.to);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('in order and on time, the result does not depend on duplicated deliveries', () => {
    fc.assert(
      fc.property(
        fc.array(outcome, { minLength: 1, maxLength: 30 }),
        fc.array(fc.nat(3), { minLength: 30, maxLength: 30 }),
        (specs, copies) => {
          const checks: CheckObservation[] = specs.map(([o, reason], i) => ({
            scheduledAt: new Date(T0 + i * 15 * MIN),
            startedAt: new Date(T0 + i * 15 * MIN + 1000),
            outcome: o,
            reason,
          }));
          let once = newItemStatus();
          let many = newItemStatus();
          checks.forEach((c, i) => {
            once = applyCheck(once, c, policy).status;
            for (let k = 0; k <= (copies[i] ?? 0); k++) many = applyCheck(many, c, policy).status;
          });
          expect(many).toEqual(once);
        },
      ),
      { numRuns: 300 },
    );
  });
});
