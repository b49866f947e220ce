import type { SidebarCapability } from '../capabilities/sidebar.js';
import { badRequest } from '../errors.js';
import { cardTemplate } from './render.js';
import { parseZendeskSidebar, verifyZendeskSidebar } from './zendesk-request.js';

export interface ZendeskSidebarOptions {
  /** ZENDESK_SIDEBAR_TOKEN: the app's secure `hub_token` setting, sent as a bearer token by Zendesk's proxy. */
  token: string;
}

/** The card in the sidebar app's markup: `views/sidebar/zendesk.ejs`, styled by the app's own app.css. */
const renderZendeskCard = cardTemplate('zendesk');

/** The Zendesk sidebar app (integrations/zendesk/app) as a sidebar capability; needs only its token. */
export function zendeskSidebar(options: ZendeskSidebarOptions): SidebarCapability {
  const token = Buffer.from(options.token, 'utf8');
  return {
    verify: (request) => verifyZendeskSidebar(options.token, request),
    subject(request) {
      // Zendesk's proxy replaces `{{setting.hub_token}}` anywhere in a secure request, body
      // included. The app escapes braces in what it sends, so the token in the body means a
      // ticket value spelled the placeholder: refuse rather than echo the token onto the card.
      if (request.rawBody.includes(token)) throw badRequest('the request body contains the sidebar token, so no card is shown for it', 'invalid_sidebar_request');
      return parseZendeskSidebar(request);
    },
    // The app inserts `html` from a JSON answer, for errors too, so the agent reads the sentence.
    respond: (card, status = 200) => ({ status, contentType: 'application/json; charset=utf-8', body: JSON.stringify({ html: renderZendeskCard(card) }) }),
  };
}
