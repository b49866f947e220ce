/**
 * PostgreSQL aborts one of two transactions that deadlock (40P01) or conflict under stricter
 * isolation (40001); retrying the whole transaction is the documented remedy.
 */
const TRANSIENT_CODES = new Set(['40P01', '40001']);

export async function withTransientRetry<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt >= attempts || !code || !TRANSIENT_CODES.has(code)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}
