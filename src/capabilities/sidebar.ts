import type { RawRequest, VerifyResult } from './webhook.js';

/** Who a helpdesk's sidebar request is about, once the request is proven to come from it. */
export interface SidebarSubject {
  email: string | null;
  emails: string[];
  name: string | null;
  externalConversationId: string | null;
  mailboxId: string | null;
}

export interface SidebarResponse {
  status: number;
  contentType: string;
  body: string;
}

export interface SidebarCapability {
  verify(request: RawRequest): VerifyResult;
  subject(request: RawRequest): SidebarSubject;
  /** Wraps rendered card HTML in the helpdesk's response format (e.g. Help Scout's `{"html": …}`). */
  respond(html: string, status?: number): SidebarResponse;
}
