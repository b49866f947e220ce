import type { EscalationCapability, EscalationReceipt, EscalationRequest } from '../../capabilities/escalation.js';
import type { Mailer } from '../../mail/mailer.js';
import { VendorError } from '../../vendors/error.js';
import { LEVEL_LABEL } from '../problem.js';
import type { TextTemplates } from '../templates.js';
import { withoutLevelPrefix } from './title.js';

/**
 * The built-in `email` target: mails the escalation to whoever the on-call schedule routed it to
 * (their email contact), else to ONCALL_EMAIL, with the signed one-click acknowledge link. Built
 * in rather than an integration because it rides on the hub's own outbound SMTP (MAIL_SMTP_URL).
 * Each mail's Message-ID is derived from escalation and address, so a retry after a lost SMTP
 * answer is the same message to every mail system that dedupes by Message-ID.
 */
export function emailTarget(deps: { mailer: Mailer; fallback: string | undefined; templates: TextTemplates }): EscalationCapability {
  return {
    traits: { duplicates: 'after-lost-response' },
    async open(request: EscalationRequest): Promise<EscalationReceipt> {
      const to = [...new Set(request.recipients.flatMap((r) => (r.email ? [r.email] : [])))];
      if (to.length === 0 && deps.fallback) to.push(deps.fallback);
      if (to.length === 0) throw new VendorError('rejected', 'nobody to mail: the on-call schedule routed to nobody with an email, and ONCALL_EMAIL is not set');
      const levelLabel = LEVEL_LABEL[request.level];
      const text = deps.templates.render('escalation-mail', { request, levelLabel });
      for (const address of to) {
        try {
          await deps.mailer.send({ to: { address }, subject: `[${levelLabel}] ${withoutLevelPrefix(request.title, request.level)}`, text, key: `escalation:${request.escalationId}:${address}`, automatic: 'auto-generated' });
        } catch (error) {
          const code = (error as { responseCode?: number }).responseCode;
          // A 5xx SMTP answer refuses the mail for good (bad address, relay denied); anything else may pass.
          if (code && code >= 500) throw new VendorError('rejected', `the mail server refused mail to on-call: ${(error as Error).message}`, { status: code });
          throw new VendorError('unavailable', `outbound mail failed: ${(error as Error).message}`, { outcomeUnknown: true, cause: error });
        }
      }
      return { externalId: deps.mailer.messageIdFor(`escalation:${request.escalationId}:${to[0]}`), url: null };
    },
    // People who got the mail see the acknowledgement where it happened (the link's page, the
    // other targets); a second mail per change would be noise on a phone at night.
    async update() {},
    async checkConnection() {
      try {
        await deps.mailer.verify();
        return { ok: true, detail: 'outbound SMTP answers' };
      } catch (error) {
        return { ok: false, detail: `outbound SMTP: ${(error as Error).message}`, hint: 'check MAIL_SMTP_URL' };
      }
    },
  };
}
