import type { SidebarCard } from '../sidebar/card.js';
import type { RawRequest, VerifyResult } from './webhook.js';

/** Who a helpdesk's sidebar request is about, once the request is proven to come from it. */
export interface SidebarSubject {
  /** The customer's primary address (Help Scout: `customer.email`, else the first of `customer.emails`). */
  email: string | null;
  /** Every address the helpdesk knows for the customer, primary first, normalised by `uniqueAddresses` (src/sidebar/addresses.ts). */
  emails: string[];
  name: string | null;
  /** Null for a draft or new conversation (Help Scout sends `ticket: false`). */
  externalConversationId: string | null;
  mailboxId: string | null;
  /** The agent's IANA time zone, when the helpdesk tells (dates are then written in it). */
  agentTimeZone?: string | null;
}

export interface SidebarResponse {
  status: number;
  contentType: string;
  body: string;
}

/**
 * A helpdesk's sidebar (ARCHITECTURE §4): the core routes `POST /sidebar/{integration id}` here,
 * builds the card from the hub's own facts and every account-data source, and hands it back to be
 * rendered in the helpdesk's markup and response format.
 */
export interface SidebarCapability {
  /** Proves the request comes from the helpdesk, over the raw bytes, before anything is parsed. */
  verify(request: RawRequest): VerifyResult;
  /** Who the request is about; throws a 400 HubError when the body is not the helpdesk's payload. */
  subject(request: RawRequest): SidebarSubject;
  /** Why no card is shown for this request (e.g. a mailbox outside the allow-list); null = shown. */
  refusal?(subject: SidebarSubject): string | null;
  /** The card rendered for the helpdesk (Help Scout: `{"html": …}` with its sidebar classes). */
  respond(card: SidebarCard, status?: number): SidebarResponse;
}
