import type { Store } from '../store/store.js';

/**
 * What each rate budget handed out in the last minute, for the Integrations page ("used N of M
 * per minute").
 *
 * The bucket row (`rate_buckets`: tokens left and when it was last drawn) cannot say it: a token
 * bucket forgets its history, and its level ("30 left") is only the burst allowance; at full
 * sustained use it hovers near zero while hundreds of units a minute flow through it. So every
 * take is also counted here, in one-second slots over the last 60 seconds, in the budget's own
 * units (a Help Scout write counts 2, as the vendor counts it). The counts are this process's:
 * several hub processes on one database share the bucket, but each counts only its own calls.
 * Kept per Store (one per hub), so hubs sharing a process in tests do not mix their counts.
 */
export class BudgetUse {
  private readonly limits = new Map<string, number>();
  private readonly slots = new Map<string, { seconds: Int32Array; units: Float64Array }>();

  /** A budget this hub draws from, with the vendor's limit per minute. */
  declare(key: string, limitPerMinute: number): void {
    this.limits.set(key, limitPerMinute);
  }

  /** The buckets declared, by key. */
  keys(): string[] {
    return [...this.limits.keys()];
  }

  /** `units` taken from the bucket `key` now. Only declared buckets are counted (not per-object ones). */
  record(key: string, units: number, nowMs = Date.now()): void {
    if (!this.limits.has(key)) return;
    let slot = this.slots.get(key);
    if (!slot) this.slots.set(key, (slot = { seconds: new Int32Array(60).fill(-1), units: new Float64Array(60) }));
    const second = Math.floor(nowMs / 1000);
    const i = second % 60;
    if (slot.seconds[i] !== second) {
      slot.seconds[i] = second;
      slot.units[i] = 0;
    }
    slot.units[i]! += units;
  }

  /** Units taken in the last 60 seconds and the vendor's limit per minute; null for a budget this hub does not declare. */
  lastMinute(key: string, nowMs = Date.now()): { used: number; limitPerMinute: number } | null {
    const limitPerMinute = this.limits.get(key);
    if (limitPerMinute === undefined) return null;
    const slot = this.slots.get(key);
    const second = Math.floor(nowMs / 1000);
    let used = 0;
    if (slot) for (let i = 0; i < 60; i++) if (slot.seconds[i]! > second - 60) used += slot.units[i]!;
    return { used, limitPerMinute };
  }
}

const byStore = new WeakMap<Store, BudgetUse>();

export function budgetUseOf(store: Store): BudgetUse {
  let use = byStore.get(store);
  if (!use) byStore.set(store, (use = new BudgetUse()));
  return use;
}
