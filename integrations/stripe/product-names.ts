import type Stripe from 'stripe';

/**
 * Product names, kept in memory: products rarely change and a plan name a few minutes old is
 * harmless, while fetching them costs a second sequential Stripe call per lookup. Products that
 * `products.list` does not return (deleted) are remembered as null so they are not asked again.
 */
export const PRODUCT_CACHE_TTL_MS = 10 * 60_000;
const MAX_ENTRIES = 5000;

type FetchProducts = (ids: readonly string[], signal: AbortSignal) => Promise<Stripe.Product[]>;

export class ProductNameCache {
  private readonly entries = new Map<string, { name: string | null; expiresAt: number }>();

  constructor(
    private readonly fetchProducts: FetchProducts,
    private readonly options: { ttlMs?: number; now?: () => number } = {},
  ) {}

  /** Names for `ids`; one call for those not cached (none when all are). */
  async names(ids: readonly string[], signal: AbortSignal): Promise<Map<string, string | null>> {
    const now = this.now();
    const names = new Map<string, string | null>();
    const missing: string[] = [];
    for (const id of ids) {
      const entry = this.entries.get(id);
      if (entry && entry.expiresAt > now) names.set(id, entry.name);
      else missing.push(id);
    }
    if (missing.length === 0) return names;
    const found = new Map((await this.fetchProducts(missing, signal)).map((product) => [product.id, product.name]));
    const expiresAt = this.now() + (this.options.ttlMs ?? PRODUCT_CACHE_TTL_MS);
    for (const id of missing) {
      const name = found.get(id) ?? null;
      names.set(id, name);
      this.entries.delete(id);
      this.entries.set(id, { name, expiresAt });
    }
    // Map keeps insertion order: the first keys are the oldest writes.
    for (const id of this.entries.keys()) {
      if (this.entries.size <= MAX_ENTRIES) break;
      this.entries.delete(id);
    }
    return names;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}
