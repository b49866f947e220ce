import { z } from 'zod';
import type { SidebarSubject } from '../capabilities/sidebar.js';
import type { RawRequest, VerifyResult } from '../capabilities/webhook.js';
import { parseInput, parseJsonBody } from '../errors.js';
import { secretsEqual } from '../http/bearer.js';
import { uniqueAddresses } from './addresses.js';
import { isTimeZone } from '../team/local-time.js';

/**
 * The Zendesk sidebar app's request (integrations/zendesk/app): a JSON POST the app makes with
 * `client.request({ secure: true })`, so it leaves Zendesk's proxy, not the agent's browser. The
 * browser only ever holds the placeholder `{{setting.hub_token}}`; the proxy puts the secure
 * setting in its place (ARCHITECTURE §7). No timestamp or signature: the token is the proof, and
 * repeats are normal (every time an agent opens the ticket).
 */

/** What the hub receives when the proxy did not substitute the setting (not a secure request, or a domain missing from `domainWhitelist`). */
const UNSUBSTITUTED = /\{\{\s*setting\./;

export function verifyZendeskSidebar(token: string, request: RawRequest): VerifyResult {
  const value = request.headers['authorization'];
  const header = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!header) return { ok: false, reason: 'missing Authorization header' };
  // RFC 7235 §2.1: the scheme is case-insensitive; RFC 6750 §2.1: one space, then the token.
  const bearer = /^Bearer +(\S+)$/i.exec(header);
  if (!bearer) return { ok: false, reason: 'Authorization is not a Bearer token' };
  const given = bearer[1]!;
  if (UNSUBSTITUTED.test(given)) {
    return { ok: false, reason: 'the {{setting.hub_token}} placeholder reached the hub unreplaced: the app must send secure: true and list the hub’s domain in domainWhitelist' };
  }
  if (!secretsEqual(given, token)) return { ok: false, reason: 'wrong bearer token' };
  return { ok: true };
}

const sidebarRequestSchema = z.object({
  email: z.string().max(320).nullish(),
  // The requester's other email identities, when the app could read them.
  emails: z.array(z.string().max(320)).max(100).nullish(),
  name: z.string().max(500).nullish(),
  // `ticket.id` is a number in ZAF; null on a ticket that is not saved yet.
  ticketId: z
    .union([z.number().int().positive(), z.string().trim().regex(/^\d{1,20}$/, 'must be a ticket number')])
    .nullish(),
  // The agent's zone from ZAF's currentUser.timeZone.ianaName; an unknown zone is ignored, not refused.
  agentTimeZone: z.string().max(100).nullish(),
});

export function parseZendeskSidebar(request: RawRequest): SidebarSubject {
  const body = parseJsonBody(request.rawBody, 'the Zendesk sidebar request body', 'invalid_sidebar_request');
  const given = parseInput(sidebarRequestSchema, body, 'Zendesk sidebar request', 'invalid_sidebar_request');
  const emails = uniqueAddresses([given.email, ...(given.emails ?? [])]);
  return {
    email: emails[0] ?? null,
    emails,
    name: given.name?.trim() || null,
    externalConversationId: given.ticketId != null ? String(given.ticketId) : null,
    mailboxId: null,
    agentTimeZone: isTimeZone(given.agentTimeZone) ? given.agentTimeZone : null,
  };
}
