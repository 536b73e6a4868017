/**
 * A flapping host is noise, not a removal. Six items on one fixture host whose every answer
 * is drawn from a seeded mix (20 % 503, 5 % stalled until our headers timeout, else the
 * item's body) are each checked 60 times by the real prober, all items at once, and every
 * result is applied with the real state machine (`applyCheck`) and its real timestamps.
 * Not one removal may be confirmed; and the host must really have flapped (transient
 * offline observations, runs of them), or the test would prove nothing.
 *
 * Why the state machine directly and not the whole pipeline: the question is whether the
 * confirmation policy, fed by what the prober really sees, holds against noise. The
 * pipeline's plumbing (claim, bus, results) is covered by pipeline.test.ts; running it
 * here would only make 360 checks take minutes instead of seconds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyCheck,
  loadConfig,
  newItemStatus,
  type CheckObservation,
  type ConfirmationPolicy,
  type ItemStatus,
  type Transition,
} from '@tdm/core';
import { makeBody, sha256Hex, startFixtureWeb, type FixtureWeb } from '@tdm/fixture-web';
import { createHttpProber, type HttpProber } from '@tdm/probe';
import { freePort } from '@tdm/test-helpers';

const ITEMS = 6;
const CHECKS_PER_ITEM = 60;
/**
 * Time between the grid slots of one item's checks in this test. Longer than a stalled
 * check (cut at checkTimeoutMs below), as in production (a stall ends within the 30 s
 * check timeout, re-checks are 1 min apart), so every check starts on its slot.
 */
const SPACING_MS = 250;
/**
 * Flap seeds, chosen (with the fixture's generator) so that the 60 answers of each item
 * hold runs of 6 to 8 consecutive failures: runs that a count-only rule (K2 = 4) would
 * confirm as removals. The test asserts that it would, so it can fail.
 */
const SEEDS = [35, 51, 79, 92, 189, 234];

const config = loadConfig({ env: {} });
/**
 * The shipped confirmation policy (K1 = 2, K2 = 4, min span 30 min), with the min span
 * scaled to this test's clock. In production an item in an open offline run is re-checked
 * every TDM_CONFIRM_RECHECK_DELAY (1 min), so a transient run must last about
 * minSpan / recheckDelay = 30 consecutive offline checks to confirm. Here consecutive
 * checks are SPACING_MS apart, so the same 30 checks span 30 × SPACING_MS = 7.5 s: the
 * min span is scaled by SPACING_MS / recheckDelay, which keeps the number of checks a
 * run needs exactly as in production.
 */
const policy: ConfirmationPolicy = {
  confirmDefinitive: config.confirmDefinitive,
  confirmTransient: config.confirmTransient,
  confirmTransientMinSpanMs: Math.round(
    (config.confirmTransientMinSpanMs * SPACING_MS) / config.confirmRecheckDelayMs,
  ),
};

let web: FixtureWeb;
let prober: HttpProber;
const bodies = Array.from({ length: ITEMS }, (_, i) => makeBody(`flapping item ${i}`, 20_000));

beforeAll(async () => {
  web = await startFixtureWeb();
  for (let i = 0; i < ITEMS; i++) {
    web.set('flap.test', `/item/${i}.jpg`, {
      kind: 'flap',
      pFail: 0.2,
      pStall: 0.05,
      body: bodies[i] as Buffer,
      seed: SEEDS[i] as number,
    });
  }
  prober = createHttpProber({
    ...config,
    // Stalls end at the check timeout, short so that 60 checks take seconds (undici's
    // headers timer ticks in 0.5 s steps; the check timeout is a plain timer).
    connectTimeoutMs: 1000,
    headersTimeoutMs: 1000,
    checkTimeoutMs: 200,
    dnsServers: [`127.0.0.1:${await freePort()}`], // flap.test comes from the host map only
    hostMap: { 'flap.test': '127.0.0.1' },
    allowRanges: ['127.0.0.1/32'],
  });
});

afterAll(async () => {
  await prober?.close();
  await web?.close();
});

interface ItemRun {
  status: ItemStatus;
  observations: CheckObservation[];
  transitions: Transition[];
  longestOfflineRun: number;
}

async function checkItem(index: number, t0: number): Promise<ItemRun> {
  const url = web.url('flap.test', `/item/${index}.jpg`);
  const expected = { sha256: sha256Hex(bodies[index] as Buffer), contentType: 'image/jpeg' };
  const run: ItemRun = { status: newItemStatus(), observations: [], transitions: [], longestOfflineRun: 0 };
  let offlineStreak = 0;
  for (let k = 0; k < CHECKS_PER_ITEM; k++) {
    const slot = t0 + k * SPACING_MS;
    const wait = slot - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const startedAt = new Date();
    const result = await prober.probe(url, expected);
    const observation: CheckObservation = {
      scheduledAt: new Date(slot),
      startedAt,
      outcome: result.outcome,
      reason: result.reason,
    };
    const applied = applyCheck(run.status, observation, policy);
    expect(applied.applied).toBe(true);
    run.status = applied.status;
    run.transitions.push(...applied.transitions);
    run.observations.push(observation);
    offlineStreak = result.outcome === 'offline' ? offlineStreak + 1 : 0;
    run.longestOfflineRun = Math.max(run.longestOfflineRun, offlineStreak);
  }
  return run;
}

/** What the count rule alone (K2 = 4 consecutive, no min span) would have made of the same observations. */
function confirmationsWithoutSpan(observations: CheckObservation[]): number {
  let status = newItemStatus();
  let confirmed = 0;
  for (const o of observations) {
    const applied = applyCheck(status, o, { ...policy, confirmTransientMinSpanMs: 0 });
    confirmed += applied.transitions.filter((t) => t.to === 'offline').length;
    status = applied.status;
  }
  return confirmed;
}

describe('a flapping host (20 % 503, 5 % stalls)', () => {
  it('is never confirmed as a removal, although it really flapped', async () => {
    const t0 = Date.now() + 50;
    expect(SEEDS).toHaveLength(ITEMS);
    const started = Date.now();
    const runs = await Promise.all(Array.from({ length: ITEMS }, (_, i) => checkItem(i, t0)));
    const elapsed = Date.now() - started;

    const all = runs.flatMap((r) => r.observations);
    const offline = all.filter((o) => o.outcome === 'offline');
    const byReason = new Map<string, number>();
    for (const o of all)
      byReason.set(
        `${o.outcome}/${o.reason ?? ''}`,
        (byReason.get(`${o.outcome}/${o.reason ?? ''}`) ?? 0) + 1,
      );
    console.log(
      `flapping: ${ITEMS} items × ${CHECKS_PER_ITEM} checks in ${elapsed} ms; ` +
        `${[...byReason].map(([k, n]) => `${k} ${n}`).join(', ')}; ` +
        `longest offline runs ${runs.map((r) => r.longestOfflineRun).join(',')}; ` +
        `min span ${policy.confirmTransientMinSpanMs} ms; ` +
        `removals the count rule alone would have confirmed: ${runs.map((r) => confirmationsWithoutSpan(r.observations)).join(',')}`,
    );

    // Every check was applied, with the fixture's flapping really seen.
    expect(all).toHaveLength(ITEMS * CHECKS_PER_ITEM);
    expect(runs.every((r) => r.status.checks === CHECKS_PER_ITEM)).toBe(true);
    expect(offline.length).toBeGreaterThan(all.length * 0.1);
    expect(offline.some((o) => o.reason === 'http_5xx')).toBe(true);
    expect(offline.some((o) => o.reason === 'timeout')).toBe(true);
    expect(runs.every((r) => r.longestOfflineRun >= 4)).toBe(true);
    // Runs long enough that the count rule alone would have published removals: only the
    // min span stands between this noise and a false removal.
    expect(runs.filter((r) => confirmationsWithoutSpan(r.observations) > 0).length).toBeGreaterThanOrEqual(3);
    // Only transient reasons, and nothing of our own making.
    expect(new Set(offline.map((o) => o.reason))).toEqual(new Set(['http_5xx', 'timeout']));
    expect(all.filter((o) => o.outcome === 'error')).toEqual([]);

    // Not one removal: no transition to offline, every item online at the end.
    for (const run of runs) {
      expect(run.transitions.filter((t) => t.to === 'offline')).toEqual([]);
      expect(run.status.state).toBe('online');
      expect(run.status.offlineAt).toBeNull();
    }
  });
});
