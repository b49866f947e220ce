import type { AccountFacts } from '../capabilities/account-data.js';
import { deviceFacts } from '../conversations/device-facts.js';
import type { SourceOutcome } from './account-lookup.js';
import type { CardBadge, CardItem, CardSection, SidebarCard } from './card.js';
import { isTimeZone } from '../team/local-time.js';
import { formatDay, formatMoment, formatPrice } from './format.js';
import { safeHref } from './safe-href.js';
import type { HubFacts, RecentConversation } from './hub-facts.js';

export interface CardInputs {
  /** The customer's addresses, primary first (at least one). */
  emails: readonly string[];
  /** The name the helpdesk shows for the customer. */
  name: string | null;
  /** `unavailable`: the hub's own records could not be read in time. */
  hub: HubFacts | 'unavailable';
  /** Null when account data was not asked for (the sender is not proven). */
  accounts: readonly SourceOutcome[] | null;
  /** The zone dates are written in for the agent (the helpdesk's, else the team's); the customer's is a hint. */
  agentTimeZone: string;
  now: Date;
}

export const LEAD_NOTICE = 'No account — lead?';
export const UNVERIFIED_NOTICE = 'Unverified sender: this address is not proven to be the customer’s, so account and billing data are withheld.';
const UNCHECKED_NOTICE = 'The hub’s records are unavailable, so the sender cannot be checked: account and billing data are withheld.';

/** Whether account data may be shown for these hub facts (ARCHITECTURE §7, last paragraph). */
export function mayShowAccountData(hub: HubFacts | 'unavailable'): boolean {
  return hub !== 'unavailable' && (!hub.known || hub.verified);
}

/** The card from everything known about the customer; pure, so every rule here is testable alone. */
export function assembleCard(inputs: CardInputs): SidebarCard {
  const { hub, now } = inputs;
  const email = inputs.emails[0] ?? null;
  const base = { email, generatedAt: now.toISOString() };
  const zone = isTimeZone(inputs.agentTimeZone) ? inputs.agentTimeZone : 'UTC';
  const hubSections = hub === 'unavailable' ? [unavailableHubSection()] : hubSectionsFor(hub, zone);
  const knownName = (hub !== 'unavailable' ? hub.name : null) ?? inputs.name;

  if (!mayShowAccountData(hub) || inputs.accounts === null) {
    return {
      ...base,
      kind: 'unverified',
      headline: knownName,
      badges: [{ text: hub === 'unavailable' ? 'sender not checked' : 'unverified sender', tone: 'danger' }],
      notice: hub === 'unavailable' ? UNCHECKED_NOTICE : UNVERIFIED_NOTICE,
      sections: hubSections,
    };
  }

  const accounts = inputs.accounts;
  const found = accounts.filter((a): a is Extract<SourceOutcome, { state: 'found' }> => a.state === 'found');
  const unavailable = accounts.some((a) => a.state === 'unavailable');
  if (found.length === 0 && !unavailable) {
    return { ...base, kind: 'lead', headline: knownName, badges: [{ text: 'no account', tone: 'info' }], notice: LEAD_NOTICE, sections: hubSections };
  }

  const customerZone = found.map((f) => f.facts.timeZone).find(isTimeZone);
  const status = found.map((f) => f.facts.status).find((s) => s !== undefined && s !== 'none');
  const badges: CardBadge[] = [];
  if (status) badges.push(STATUS_BADGE[status]);
  if (found.some((f) => f.facts.role?.toLowerCase() === 'owner')) badges.push({ text: 'owner', tone: 'info' });
  return {
    ...base,
    kind: 'account',
    headline: found.map((f) => f.facts.company).find(Boolean) ?? knownName,
    badges,
    notice: null,
    sections: [...accounts.map((outcome) => sourceSection(outcome, { agent: zone, customer: customerZone })), ...hubSections],
  };
}

const STATUS_BADGE: Record<Exclude<NonNullable<AccountFacts['status']>, 'none'>, CardBadge> = {
  paid: { text: 'paid', tone: 'success' },
  trialing: { text: 'trialing', tone: 'info' },
  trial_expired: { text: 'trial expired', tone: 'warning' },
  past_due: { text: 'past due', tone: 'danger' },
  canceled: { text: 'canceled', tone: 'neutral' },
};

interface Zones {
  agent: string;
  customer: string | undefined;
}

function sourceSection(outcome: SourceOutcome, zones: Zones): CardSection {
  const id = `source:${outcome.integrationId}`;
  if (outcome.state === 'unavailable') {
    const what = outcome.reason === 'timeout' ? `${outcome.name} did not answer in time; it will show next time the card loads.` : `${outcome.name} could not be reached.`;
    const note = outcome.topic ? `${outcome.topic} unavailable: ${what}` : what;
    return { id, title: outcome.name, state: 'unavailable', items: [], note };
  }
  if (outcome.state === 'none') return { id, title: outcome.name, state: 'ok', items: [], note: `No ${outcome.name} account for this email.` };
  const section: CardSection = { id, title: outcome.name, state: 'ok', items: factItems(outcome.facts, zones) };
  // A cached answer past its TTL, shown while the refresh runs (or while the source is down).
  if (outcome.staleSince) section.note = `As of ${formatMoment(outcome.staleSince, zones.agent)}; refreshing.`;
  return section;
}

function dateItem(label: string, date: Date, zones: Zones): CardItem {
  const item: CardItem = { label, text: formatMoment(date, zones.agent), value: date.toISOString() };
  if (zones.customer && zones.customer !== zones.agent) item.hint = `customer: ${formatMoment(date, zones.customer)}`;
  return item;
}

function factItems(facts: AccountFacts, zones: Zones): CardItem[] {
  const items: CardItem[] = [];
  if (facts.company) items.push({ label: 'Company', text: facts.company });
  if (facts.role) items.push(facts.role.toLowerCase() === 'owner' ? { label: 'Role', badge: { text: 'owner', tone: 'info' } } : { label: 'Role', text: facts.role });
  if (facts.customerSince) items.push({ label: 'Customer since', text: formatDay(facts.customerSince), value: facts.customerSince.toISOString() });
  if (facts.plan) {
    const price = formatPrice(facts.plan.amountMinor, facts.plan.currency, facts.plan.interval);
    items.push({ label: 'Plan', text: price ? `${facts.plan.name} · ${price}` : facts.plan.name, value: facts.plan.name });
  }
  if (facts.status && facts.status !== 'none') items.push({ label: 'Status', badge: STATUS_BADGE[facts.status], value: facts.status });
  if (facts.trialEndsAt) items.push(dateItem('Trial ends', facts.trialEndsAt, zones));
  if (facts.renewsAt) items.push(dateItem('Renews', facts.renewsAt, zones));
  for (const { label, used, limit } of [...(facts.seats ? [{ label: 'Seats', ...facts.seats }] : []), ...(facts.limits ?? [])]) {
    if (used === null && limit === null) continue;
    const item: CardItem = { label, text: used === null ? `${limit} in plan` : `${used} of ${limit ?? 'unlimited'}` };
    if (used !== null && limit !== null && used >= limit) item.badge = { text: used > limit ? 'over limit' : 'at limit', tone: 'warning' };
    items.push(item);
  }
  if (facts.modules && facts.modules.length > 0) items.push({ label: 'Modules', text: facts.modules.join(', ') });
  if (facts.timeZone) items.push({ label: 'Time zone', text: facts.timeZone });
  for (const [label, value] of Object.entries(facts.extra ?? {})) items.push({ label, text: String(value), value });
  if (facts.otherMatches && facts.otherMatches > 0) items.push({ label: 'Other matches', text: `${facts.otherMatches} more with this email`, value: facts.otherMatches });
  for (const link of facts.links ?? []) {
    const url = safeHref(link.url);
    if (url) items.push({ label: link.label, link: { text: link.text ?? 'Open', url } });
  }
  return items;
}

const URGENCY_BADGE: Record<NonNullable<RecentConversation['urgency']>, CardBadge> = {
  urgent: { text: 'urgent', tone: 'danger' },
  high: { text: 'high', tone: 'warning' },
  normal: { text: 'normal', tone: 'neutral' },
  low: { text: 'low', tone: 'neutral' },
};

function hubSectionsFor(hub: HubFacts, zone: string): CardSection[] {
  if (!hub.known) return [];
  const items: CardItem[] = [
    { label: 'Identity', badge: hub.verified ? { text: 'verified', tone: 'success' } : { text: 'unverified sender', tone: 'danger' }, value: hub.verified },
    { label: 'Conversations', text: `${hub.conversationCount} (${hub.openCount} open)`, value: hub.conversationCount },
  ];
  hub.recent.forEach((conversation, i) => {
    const item: CardItem = {
      label: i === 0 ? 'Latest' : 'Earlier',
      text: conversation.subject,
      hint: `${conversation.channel} · ${conversation.status} · ${formatMoment(conversation.lastMessageAt, zone)}`,
      value: conversation.id,
    };
    if (conversation.urgency) item.badge = URGENCY_BADGE[conversation.urgency];
    items.push(item);
  });
  const escalation = hub.openEscalation;
  if (escalation) {
    items.push({
      label: 'Open escalation',
      text: escalation.title,
      badge: escalation.status === 'open' ? { text: 'not acknowledged', tone: 'danger' } : { text: 'acknowledged', tone: 'warning' },
      hint: `${escalation.level} · opened ${formatMoment(escalation.openedAt, zone)}`,
      value: escalation.status,
    });
  }
  const sections: CardSection[] = [{ id: 'hub', title: 'Support history', state: 'ok', items }];
  if (hub.device) {
    const deviceItems = deviceFacts(hub.device).map(({ label, value }) => ({ label, text: value }));
    if (deviceItems.length > 0) sections.push({ id: 'device', title: 'Device (in-app chat)', state: 'ok', items: deviceItems });
  }
  return sections;
}

function unavailableHubSection(): CardSection {
  return { id: 'hub', title: 'Support history', state: 'unavailable', items: [], note: 'The hub’s records could not be read in time.' };
}
