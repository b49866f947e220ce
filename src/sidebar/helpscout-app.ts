import type { SidebarAppCapability, SidebarAppCustomer, SidebarAppPageContext } from '../capabilities/sidebar-app.js';
import { verifyHelpScoutAppQuery } from './helpscout-app-signature.js';

/**
 * Help Scout's App Developer Platform sidebar app ("Manage › Apps › Create App", the default for
 * new apps): Help Scout loads our page in an iframe with a signed query string
 * (developer.helpscout.com/apps/guides/signature-validation). The query carries only
 * non-identifying context — the guide names `conversation-id`
 * (…/apps/guides/getting-data-from-help-scout-without-javascript); the customer comes from the
 * Mailbox API (when credentials are configured) or from the JS SDK's context.
 */

/**
 * Origins allowed to frame the page: the Help Scout web app. The JS SDK also talks to
 * `https://hs-app.*.hsenv.io` (Help Scout's own internal environments, @helpscout/javascript-sdk
 * constants); customers' accounts are served from secure.helpscout.net, so only that is allowed.
 */
export const HELPSCOUT_FRAME_ANCESTORS = ['https://secure.helpscout.net'] as const;

/** A timestamp parameter, when Help Scout sends one, must be this fresh (either way, for clock skew). */
export const FRESHNESS_MS = 5 * 60_000;
/** Names read as the page's signing time. None is documented; the check applies only when one is present. */
const TIMESTAMP_PARAMS = ['timestamp', 'ts'];
const CONVERSATION_PARAMS = ['conversation-id', 'conversationId'];
const MAILBOX_PARAMS = ['mailbox-id', 'mailboxId'];

export interface HelpScoutAppOptions {
  /** HELPSCOUT_APP_SECRET: the app's Secret Key (Manage › Apps › the app). */
  secret: string;
  /** Mailboxes the card is shown in; empty = every mailbox. */
  mailboxIds: readonly string[];
  /** HELPSCOUT_APP_CALLBACK_URL: the Callback URL as entered in Help Scout; its own query parameters are not signed. */
  callbackUrl?: string | undefined;
  /** The conversation's customer through the Mailbox API; absent without API credentials. */
  customerOf?: (conversationId: string, signal?: AbortSignal) => Promise<SidebarAppCustomer | null>;
}

export function helpScoutApp(options: HelpScoutAppOptions): SidebarAppCapability {
  const mailboxes = new Set(options.mailboxIds);
  const excluded = new Set(options.callbackUrl ? [...new URL(options.callbackUrl).searchParams.keys()] : []);
  return {
    tokenSecret: options.secret,
    frameAncestors: HELPSCOUT_FRAME_ANCESTORS,
    verifyPage(url, now = new Date()) {
      const at = url.indexOf('?');
      const check = verifyHelpScoutAppQuery(options.secret, at < 0 ? '' : url.slice(at), excluded);
      if (!check.ok) return check;
      const pick = (names: readonly string[]) => names.map((n) => check.params.get(n)).find((v) => v !== undefined && v !== '') ?? null;
      const stamp = pick(TIMESTAMP_PARAMS);
      if (stamp !== null) {
        const signedAt = parseTimestamp(stamp);
        if (signedAt === null) return { ok: false, reason: `the signed timestamp "${stamp.slice(0, 30)}" is not a time` };
        if (Math.abs(now.getTime() - signedAt) > FRESHNESS_MS) return { ok: false, reason: 'the signed URL is older than 5 minutes (or the clocks differ by more)' };
      }
      const conversationId = pick(CONVERSATION_PARAMS);
      if (conversationId !== null && !/^\d{1,20}$/.test(conversationId)) return { ok: false, reason: 'conversation-id is not a Help Scout conversation id' };
      return { ok: true, conversationId, mailboxId: pick(MAILBOX_PARAMS) };
    },
    refusal(context: SidebarAppPageContext) {
      if (mailboxes.size === 0 || (context.mailboxId !== null && mailboxes.has(context.mailboxId))) return null;
      // Without a mailbox in the signed query the allow-list cannot be applied: refuse rather than guess.
      return 'Support Hub is not enabled for this mailbox.';
    },
    ...(options.customerOf ? { customerOf: options.customerOf } : {}),
  };
}

/** Unix seconds (10 digits) or milliseconds (13), or an ISO 8601 time. */
function parseTimestamp(text: string): number | null {
  if (/^\d{9,11}$/.test(text)) return Number(text) * 1000;
  if (/^\d{12,14}$/.test(text)) return Number(text);
  const parsed = Date.parse(text);
  return /^\d{4}-\d{2}-\d{2}T/.test(text) && Number.isFinite(parsed) ? parsed : null;
}
