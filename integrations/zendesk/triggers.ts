import type { ZendeskTrigger } from './dto.js';
import { HUB_TAG } from './mapper.js';

/**
 * Active triggers that mail the requester but do not exclude tickets tagged `hub_delivered`: on
 * those tickets the customer would get each agent reply twice (from the hub and from Zendesk).
 * A trigger is safe when one of its "all" conditions is `current_tags` `not_includes` a list
 * containing the tag (Admin Center: "Tags › Contains none of the following › hub_delivered").
 */
export function triggersMailingHubTickets(triggers: ZendeskTrigger[]): string[] {
  return triggers.filter((trigger) => trigger.active !== false && mailsRequester(trigger) && !excludesHubTag(trigger)).map((trigger) => trigger.title);
}

function mailsRequester(trigger: ZendeskTrigger): boolean {
  return (trigger.actions ?? []).some((action) => {
    if (action.field !== 'notification_user') return false;
    const recipient = Array.isArray(action.value) ? action.value[0] : action.value;
    return recipient === 'requester_id' || recipient === 'requester_and_ccs';
  });
}

function excludesHubTag(trigger: ZendeskTrigger): boolean {
  return (trigger.conditions?.all ?? []).some(
    (condition) => condition.field === 'current_tags' && condition.operator === 'not_includes' && typeof condition.value === 'string' && condition.value.split(/\s+/).includes(HUB_TAG),
  );
}
