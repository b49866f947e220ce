import { z } from 'zod';
import { defineIntegration } from '../../src/capabilities/integration.js';
import { secret } from '../../src/config/secrets.js';
import { productLookup } from './lookup.js';

/**
 * The product's own account facts (company, employee count and limit, modules, time zone) for
 * the sidebar card, from an endpoint the product team runs. See README.md in this folder.
 */
export const productConfigSchema = z.object({
  lookupUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  lookupSecret: secret(z.string().min(16, 'must be at least 16 characters (e.g. openssl rand -hex 32)').optional()),
  name: z.string().trim().min(1).max(60).default('Product'),
});

export const product = defineIntegration({
  id: 'product',
  name: 'Product',
  configSchema: productConfigSchema,
  env: [
    { env: 'PRODUCT_LOOKUP_URL', key: 'lookupUrl', description: 'The product’s account-lookup endpoint; the hub POSTs `{"email"}` signed with X-Hub-Signature (see integrations/product/README.md)' },
    { env: 'PRODUCT_LOOKUP_SECRET', key: 'lookupSecret', description: 'Secret the product uses to verify the hub’s X-Hub-Signature on lookups' },
    { env: 'PRODUCT_NAME', key: 'name', description: 'The product’s name as the card’s section title (default Product)' },
  ],
  capabilities: {
    accountData: {
      requires: ['lookupUrl', 'lookupSecret'],
      create: (config) => productLookup({ url: config.lookupUrl!, secret: config.lookupSecret!, name: config.name }),
    },
  },
});
