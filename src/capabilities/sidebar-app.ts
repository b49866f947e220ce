/**
 * A helpdesk sidebar app that the helpdesk loads in an iframe (Help Scout's App Developer
 * Platform): the helpdesk signs the page's URL, the page's own script then asks the hub for the
 * card with a token the verified page load minted (src/sidebar/app-routes.ts). Unlike
 * `SidebarCapability`, the helpdesk never posts the customer: it is read from the helpdesk's API
 * when the integration has credentials, else taken from the page's SDK context.
 */
export interface SidebarAppPageContext {
  /** The helpdesk's conversation id from the signed query (null when the page was opened elsewhere). */
  conversationId: string | null;
  mailboxId: string | null;
}

export type SidebarAppVerdict = ({ ok: true } & SidebarAppPageContext) | { ok: false; reason: string };

export interface SidebarAppCustomer {
  emails: string[];
  name: string | null;
}

export interface SidebarAppCapability {
  /** Proves the page URL (path and query, as received) was signed by the helpdesk. */
  verifyPage(url: string, now?: Date): SidebarAppVerdict;
  /** The secret the card tokens are keyed from (derived from; never sent). */
  tokenSecret: string;
  /** Origins allowed to frame the page (CSP frame-ancestors). */
  frameAncestors: readonly string[];
  /** Why no card is shown for this page (a mailbox outside the allow-list); null = shown. */
  refusal?(context: SidebarAppPageContext): string | null;
  /**
   * The conversation's customer from the helpdesk's API; absent when the integration has no API
   * credentials (the page's SDK context is then used). Null: no such conversation.
   */
  customerOf?(conversationId: string, signal?: AbortSignal): Promise<SidebarAppCustomer | null>;
}
