import { z } from 'zod';
import type { AccountFacts } from '../../src/capabilities/account-data.js';
import { isTimeZone } from '../../src/team/local-time.js';

/**
 * What the product's lookup endpoint answers (documented in README.md beside this file). Strict
 * enough that a broken endpoint shows "could not be reached" instead of a misleading card, loose
 * enough that unknown extra fields are ignored, so the product can add fields before the hub reads them.
 */
const text = (max: number) => z.string().trim().min(1).max(max);
const date = z.iso.datetime({ offset: true }).transform((value) => new Date(value));
const count = z.number().int().min(0).max(1e12);

export const productAccountSchema = z.object({
  company: text(200).optional(),
  role: text(50).optional(),
  customerSince: date.optional(),
  plan: z
    .object({
      name: text(100),
      interval: text(30).nullish(),
      amountMinor: z.number().int().min(0).nullish(),
      currency: z.string().regex(/^[A-Za-z]{3}$/, 'an ISO 4217 code such as eur').nullish(),
    })
    .optional(),
  status: z.enum(['paid', 'trialing', 'trial_expired', 'past_due', 'canceled', 'none']).optional(),
  trialEndsAt: date.nullish(),
  renewsAt: date.nullish(),
  /** Counted limits of the plan, e.g. `{ "label": "Employees", "used": 48, "limit": 50 }`; limit null = unlimited. */
  limits: z.array(z.object({ label: text(60), used: count.nullable(), limit: count.nullable() })).max(20).optional(),
  modules: z.array(text(60)).max(50).optional(),
  timeZone: z.string().refine(isTimeZone, 'an IANA time zone such as Europe/Berlin').optional(),
  /** A link to the account in the product's admin area (http or https only). */
  adminUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** Anything else worth a line on the card: label → value. */
  facts: z.record(text(60), z.union([z.string().max(300), z.number(), z.boolean()])).optional(),
});

export const productAnswerSchema = z.object({ account: productAccountSchema.nullable() });

export type ProductAccount = z.infer<typeof productAccountSchema>;

export function factsFromProduct(account: ProductAccount, name: string): AccountFacts {
  const facts: AccountFacts = { source: 'product' };
  if (account.company) facts.company = account.company;
  if (account.role) facts.role = account.role;
  if (account.customerSince) facts.customerSince = account.customerSince;
  if (account.plan) facts.plan = { name: account.plan.name, interval: account.plan.interval ?? null, amountMinor: account.plan.amountMinor ?? null, currency: account.plan.currency ?? null };
  if (account.status) facts.status = account.status;
  if (account.trialEndsAt) facts.trialEndsAt = account.trialEndsAt;
  if (account.renewsAt) facts.renewsAt = account.renewsAt;
  if (account.limits?.length) facts.limits = account.limits;
  if (account.modules?.length) facts.modules = account.modules;
  if (account.timeZone) facts.timeZone = account.timeZone;
  if (account.adminUrl) facts.links = [{ label: `${name} admin`, url: account.adminUrl }];
  if (account.facts) facts.extra = account.facts;
  return facts;
}
