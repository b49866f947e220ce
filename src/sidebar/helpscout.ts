import type { SidebarCapability } from '../capabilities/sidebar.js';
import { parseHelpScoutSidebar, verifyHelpScoutSidebar } from './helpscout-request.js';
import { renderHelpScoutCard } from './render-helpscout.js';

export interface HelpScoutSidebarOptions {
  /** The Dynamic App's secret key (Help Scout: at most 40 characters). */
  secret: string;
  /** Mailboxes the card is shown in; empty = every mailbox the app is installed in. */
  mailboxIds: readonly string[];
}

/** The Help Scout Dynamic App as a sidebar capability; needs only the app's secret key. */
export function helpScoutSidebar(options: HelpScoutSidebarOptions): SidebarCapability {
  const mailboxes = new Set(options.mailboxIds);
  return {
    verify: (request) => verifyHelpScoutSidebar(options.secret, request),
    subject: parseHelpScoutSidebar,
    refusal(subject) {
      if (mailboxes.size === 0 || (subject.mailboxId !== null && mailboxes.has(subject.mailboxId))) return null;
      return 'Support Hub is not enabled for this mailbox.';
    },
    // Help Scout shows `html` from a JSON answer, for errors too (a 401 still renders its text).
    respond: (card, status = 200) => ({ status, contentType: 'application/json; charset=utf-8', body: JSON.stringify({ html: renderHelpScoutCard(card) }) }),
  };
}
