import type { AccountDataCapability, AccountFacts } from '../../src/capabilities/account-data.js';
import type { ConnectionCheck } from '../../src/capabilities/helpdesk.js';
import { HUB_SIGNATURE_HEADER, signHubPayload } from '../../src/http/hub-signature.js';
import { factsFromProduct, productAnswerSchema } from './answer.js';

export interface ProductLookupOptions {
  url: string;
  secret: string;
  /** The product's name on the card ("Acme app"). */
  name: string;
  fetch?: typeof fetch;
}

/** The product's endpoint answered something the hub will not show; the card says "could not be reached". */
export class ProductLookupError extends Error {
  override name = 'ProductLookupError';
}

/**
 * The product's own facts about a customer through a signed HTTP callback: the hub POSTs
 * `{"email": …}` signed with X-Hub-Signature (HMAC-SHA256 over `t.body`, the same scheme the hub
 * verifies on its own endpoints), and the product answers `{"account": {…} | null}` (or 404 for
 * no account). The answer is validated before any of it reaches a card.
 */
export function productLookup(options: ProductLookupOptions): AccountDataCapability {
  const fetcher = options.fetch ?? fetch;

  async function call(body: Record<string, unknown>, signal: AbortSignal): Promise<Response> {
    const raw = JSON.stringify(body);
    return fetcher(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', [HUB_SIGNATURE_HEADER]: signHubPayload(options.secret, raw), 'user-agent': 'support-hub' },
      body: raw,
      signal,
      redirect: 'error',
    });
  }

  return {
    title: options.name,
    topic: 'Account facts',
    async lookup(email, signal): Promise<AccountFacts | null> {
      const response = await call({ email }, signal);
      if (response.status === 404) {
        await response.body?.cancel();
        return null;
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new ProductLookupError(`product lookup answered ${response.status}`);
      }
      let json: unknown;
      try {
        json = await response.json();
      } catch {
        throw new ProductLookupError('product lookup answered something that is not JSON');
      }
      const parsed = productAnswerSchema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ProductLookupError(`product lookup answer rejected: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
      }
      return parsed.data.account ? factsFromProduct(parsed.data.account, options.name) : null;
    },

    // A lookup of an address no account can have: proves the URL, the secret and the answer shape.
    async checkConnection(): Promise<ConnectionCheck> {
      try {
        const response = await call({ email: 'connection-check@support-hub.invalid', check: true }, AbortSignal.timeout(5000));
        if (response.status === 404 || response.ok) {
          if (response.ok) productAnswerSchema.parse(await response.json());
          else await response.body?.cancel();
          return { ok: true, detail: `${options.name} lookup answered` };
        }
        await response.body?.cancel();
        return { ok: false, detail: `${options.name} lookup answered ${response.status}${response.status === 401 || response.status === 403 ? ' (check PRODUCT_LOOKUP_SECRET on both sides)' : ''}` };
      } catch (error) {
        return { ok: false, detail: `${options.name} lookup failed: ${(error as Error).message}` };
      }
    },
  };
}
