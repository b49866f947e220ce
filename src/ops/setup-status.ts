import type { HubConfig } from '../config.js';

/**
 * What a hub has been given to work with — the chat app, mail, a helpdesk — said plainly, with
 * how to set up each part that is missing. `npm run doctor` prints it; an unconfigured hub logs
 * the missing parts once at start as its next steps.
 */
export interface SetupPart {
  part: 'chat' | 'email' | 'helpdesk';
  configured: boolean;
  detail: string;
  /** How to configure it (for a missing part). */
  howTo: string;
}

export function setupStatus(config: HubConfig, enabledHelpdeskNames: readonly string[]): SetupPart[] {
  const { chat, mail } = config;
  const chatPart: SetupPart = {
    part: 'chat',
    configured: chat.apps.length > 0,
    detail:
      chat.apps.length > 0
        ? `chat app ${chat.apps.map((a) => `${a.id}${a.allowAnonymous ? ' (anonymous visitors allowed)' : ''}`).join(', ')}; the widget demo is at /widget/demo`
        : 'no chat app is configured: the widget and the chat API answer nobody',
    howTo: 'set CHAT_APP_ID (e.g. my-app) and CHAT_IDENTITY_SECRET (16+ random characters), and CHAT_ALLOW_ANONYMOUS=true to let visitors write without a login, CHAT_ALLOWED_ORIGINS to the sites that embed the widget (the hub’s own address for /widget/demo); then open /widget/demo (README: Quick start)',
  };
  const receives = mail.inboundAddress ? `receives mail for ${mail.inboundAddress}${mail.imapUrl ? ' (IMAP)' : ` (SMTP listener on port ${mail.smtpPort})`}` : null;
  const sends = mail.smtpUrl ? `sends mail through ${hostOf(mail.smtpUrl)} as ${mail.from ?? '?'}` : null;
  const emailPart: SetupPart = {
    part: 'email',
    configured: receives !== null || sends !== null,
    detail:
      receives || sends
        ? [receives ?? 'receives no mail (MAIL_INBOUND_ADDRESS unset)', sends ?? 'sends none (MAIL_SMTP_URL unset)'].join('; ')
        : 'no mail is received or sent',
    howTo: 'set MAIL_INBOUND_ADDRESS and MAIL_REPLY_SECRET to receive mail, MAIL_SMTP_URL and MAIL_FROM to send replies and acknowledgements (README: Email)',
  };
  const helpdeskPart: SetupPart = {
    part: 'helpdesk',
    configured: enabledHelpdeskNames.length > 0,
    detail: enabledHelpdeskNames.length > 0 ? `conversations sync to ${enabledHelpdeskNames.join(', ')}` : 'no helpdesk is connected: conversations stay in the hub’s dashboard',
    howTo: 'set HELPSCOUT_CLIENT_ID, HELPSCOUT_CLIENT_SECRET and HELPSCOUT_MAILBOX_ID, or ZENDESK_SUBDOMAIN with ZENDESK_EMAIL and ZENDESK_API_TOKEN (README: Helpdesk sync)',
  };
  return [chatPart, emailPart, helpdeskPart];
}

function hostOf(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.port ? `${parsed.hostname}:${parsed.port}` : parsed.hostname;
  } catch {
    return '(unparsable URL)';
  }
}
