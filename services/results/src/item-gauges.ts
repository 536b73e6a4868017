/** The `tdm_items{state}` gauge, refreshed from the store. */
import { ITEM_STATES, type ItemState } from '@tdm/core';
import type { Store } from '@tdm/store';
import type { Metrics } from '@tdm/telemetry';

/**
 * Sets `metrics.itemsByState` from `store.countItemsByState()`. Every state is set, to 0
 * when the store has none, so a state that empties does not keep its last value.
 */
export async function sampleItemGauges(store: Store, metrics: Metrics): Promise<Record<ItemState, number>> {
  const counts = await store.countItemsByState();
  for (const state of ITEM_STATES) metrics.itemsByState.set({ state }, counts[state] ?? 0);
  return counts;
}
