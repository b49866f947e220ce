import type { FakeNotification } from '../helpdesk-fake.js';
import type { ZdComment, ZdTicket, ZdUser } from './model.js';

/** The tag the hub sets on tickets whose customer it reaches itself (ARCHITECTURE §6). */
export const HUB_TAG = 'hub_delivered';

const hubTagCondition = { field: 'current_tags', operator: 'not_includes', value: HUB_TAG };

/**
 * Zendesk's default triggers that mail the requester, as GET /api/v2/triggers lists them — edited
 * as the README tells admins ("Tags: contains none of: hub_delivered") unless a test says not.
 * Field names follow Zendesk's conditions/actions reference (`notification_user`, `current_tags`).
 */
export function accountTriggers(excludeHubTag: boolean): Record<string, unknown>[] {
  const requesterTrigger = (id: number, title: string, all: Record<string, string>[]) => ({
    id,
    title,
    raw_title: title,
    active: true,
    default: false,
    position: id,
    category_id: '10026',
    conditions: { all: excludeHubTag ? [...all, hubTagCondition] : all, any: [] },
    actions: [{ field: 'notification_user', value: ['requester_and_ccs', `[{{ticket.account}}] Re: {{ticket.title}}`, '{{ticket.latest_public_comment_html}}'] }],
  });
  return [
    requesterTrigger(1, 'Notify requester and CCs of received request', [
      { field: 'update_type', operator: 'is', value: 'Create' },
      { field: 'role', operator: 'is', value: 'end_user' },
    ]),
    requesterTrigger(2, 'Notify requester of new proactive ticket', [
      { field: 'update_type', operator: 'is', value: 'Create' },
      { field: 'role', operator: 'is_not', value: 'end_user' },
      { field: 'comment_is_public', operator: 'is', value: 'true' },
    ]),
    requesterTrigger(3, 'Notify requester and CCs of comment update', [
      { field: 'update_type', operator: 'is', value: 'Change' },
      { field: 'comment_is_public', operator: 'is', value: 'requester_can_see_comment' },
    ]),
    {
      id: 4,
      title: 'Notify all agents of received request',
      raw_title: 'Notify all agents of received request',
      active: true,
      default: false,
      position: 4,
      category_id: '10026',
      conditions: { all: [{ field: 'update_type', operator: 'is', value: 'Create' }], any: [] },
      actions: [{ field: 'notification_group', value: ['group_id', 'New ticket', '{{ticket.description}}'] }],
    },
  ];
}

/**
 * The mail those triggers send, recorded instead of sent. Rules as modelled: a new ticket mails its
 * requester (received-request auto-reply when they wrote it themselves, the "proactive ticket"
 * mail when someone else opened it for them); a later public comment by anyone but the requester
 * mails the requester. Tickets tagged `hub_delivered` get none of it while the triggers carry the
 * exclusion; `enabled = false` switches every trigger off.
 */
export class CustomerMail {
  readonly sent: FakeNotification[] = [];
  enabled = true;
  excludeHubTag = true;

  ticketCreated(ticket: ZdTicket, comment: ZdComment, actor: ZdUser, requester: ZdUser): void {
    if (!this.applies(ticket, requester)) return;
    const byRequester = actor.id === requester.id;
    this.sent.push({
      to: requester.email!,
      conversationId: String(ticket.id),
      threadId: byRequester ? null : String(comment.id),
      kind: byRequester ? 'auto-reply' : 'other',
      text: byRequester ? `Your request (${ticket.id}) has been received and is being reviewed by our support staff.` : comment.body,
    });
  }

  commentAdded(ticket: ZdTicket, comment: ZdComment, requester: ZdUser): void {
    if (!comment.public || comment.author_id === requester.id || !this.applies(ticket, requester)) return;
    this.sent.push({ to: requester.email!, conversationId: String(ticket.id), threadId: String(comment.id), kind: 'agent-reply', text: comment.body });
  }

  private applies(ticket: ZdTicket, requester: ZdUser): boolean {
    if (!this.enabled || !requester.email) return false;
    return !(this.excludeHubTag && ticket.tags.includes(HUB_TAG));
  }
}
