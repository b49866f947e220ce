import { sql } from 'kysely';

/**
 * Identity kinds whose key a channel proves: an in-app chat user is named by the product's own
 * user id, signed by its backend (user_hash or the identity token). Such a contact's claims about
 * itself (its name, its email) may change; nobody else's unverified claim may rewrite them.
 */
export const PROVEN_IDENTITY_KINDS = ['chat'] as const;

const proven = sql.raw(`contacts.identity_kind IN (${PROVEN_IDENTITY_KINDS.map((k) => `'${k}'`).join(', ')})`);

/**
 * How a stored contact takes a new claim (`excluded` = the claim) in an upsert — ARCHITECTURE §7:
 * verified is a property of a claim, not of an address. A claim may set a blank field; it may
 * change a stored name or email only when it is verified or comes from a proven identity; an
 * unauthenticated one (a mail that failed DMARC, a visitor) never rewrites either. The flag
 * follows the email it proves: a changed email is exactly as verified as the claim that brought
 * it; an unchanged one stays proven once proven.
 */
export const contactClaimUpdate = {
  email: sql<string | null>`CASE WHEN excluded.email IS NULL THEN contacts.email
    WHEN excluded.verified OR ${proven} OR contacts.email IS NULL THEN excluded.email
    ELSE contacts.email END`,
  name: sql<string | null>`CASE WHEN excluded.name IS NULL THEN contacts.name
    WHEN excluded.verified OR ${proven} OR contacts.name IS NULL THEN excluded.name
    ELSE contacts.name END`,
  verified: sql<boolean>`CASE
    WHEN excluded.email IS NOT NULL AND lower(excluded.email) IS DISTINCT FROM lower(contacts.email)
      THEN CASE WHEN excluded.verified OR ${proven} OR contacts.email IS NULL THEN excluded.verified ELSE contacts.verified END
    ELSE contacts.verified OR excluded.verified END`,
};
