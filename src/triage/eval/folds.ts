/**
 * Stratified k-fold split with a fixed seed: every method compared in one run (ours and the
 * baselines) sees the same folds, and a rerun sees the same folds again.
 */

/** mulberry32: a tiny seeded PRNG, so fold assignment does not depend on Math.random. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** fold[i] = the fold row i is tested in; each label is spread evenly over the folds. */
export function stratifiedFolds(labels: readonly string[], k: number, seed = 20240601): number[] {
  if (!Number.isInteger(k) || k < 2) throw new RangeError('folds must be an integer of at least 2');
  const random = seededRandom(seed);
  const fold = new Array<number>(labels.length).fill(0);
  const byLabel = new Map<string, number[]>();
  labels.forEach((label, i) => {
    const rows = byLabel.get(label) ?? [];
    rows.push(i);
    byLabel.set(label, rows);
  });
  let offset = 0;
  for (const label of [...byLabel.keys()].sort()) {
    const rows = byLabel.get(label)!;
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [rows[i], rows[j]] = [rows[j]!, rows[i]!];
    }
    // Continue the round-robin across labels so fold sizes differ by at most one.
    rows.forEach((row, n) => (fold[row] = (n + offset) % k));
    offset = (offset + rows.length) % k;
  }
  return fold;
}
