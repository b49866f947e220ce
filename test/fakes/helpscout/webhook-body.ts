import { htmlToText, iso, newestFirst, type HelpScoutState, type StoredConversation, type StoredThread } from './state.js';

/**
 * The body of a conversation webhook, in the shape of Help Scout's own webhook fixture
 * (helpscout-api-php, ConversationTest::testHydratesConversationFromWebhookRequest): flat
 * `mailbox`/`customer`/`createdBy` references with `firstName`/`lastName`, `threadCount`, tags as
 * strings, threads (if any) as a top-level array, and no HAL `_embedded`/`_links`. That is not the
 * REST shape of GET /conversations/{id} (state.conversationJson).
 */

/**
 * Whether webhook bodies carry threads (README: assumed). `top-level`: the newest few, newest first,
 * as the fixture does; `none`: no `threads` key (the fixture's is the only evidence there is one).
 */
export type WebhookThreads = 'top-level' | 'none';

/** The fixture names 1 thread of a `threadCount` of 3: a body carries at most the newest few. */
export const WEBHOOK_THREAD_LIMIT = 3;

type PersonRef = { id: number; firstName: string | null; lastName: string | null; email: string | null; type: 'customer' | 'user' };

export function webhookBody(state: HelpScoutState, conversation: StoredConversation, threads: WebhookThreads): Record<string, unknown> {
  const published = conversation.threads.filter((t) => t.state === 'published' && t.type !== 'lineitem');
  const latest = newestFirst(published)[0];
  return {
    number: conversation.number,
    id: conversation.id,
    folderId: 1,
    type: conversation.type,
    isDraft: false,
    // The fake never assigns conversations.
    owner: null,
    mailbox: { id: state.mailbox.id, name: state.mailbox.name },
    customer: personRef(state, { type: 'customer', id: conversation.customerId }),
    threadCount: published.length,
    status: conversation.status,
    subject: conversation.subject,
    preview: latest ? htmlToText(latest.body).slice(0, 185) : '',
    createdBy: personRef(state, conversation.createdBy),
    createdAt: iso(conversation.createdAt),
    modifiedAt: iso(conversation.modifiedAt),
    closedAt: conversation.closedAt === null ? null : iso(conversation.closedAt),
    closedBy: conversation.closedBy,
    source: conversation.source,
    cc: [],
    bcc: [],
    tags: [...conversation.tags],
    ...(threads === 'top-level' ? { threads: newestFirst(conversation.threads).slice(0, WEBHOOK_THREAD_LIMIT).map((t) => threadBody(state, t)) } : {}),
    customFields: [],
  };
}

function threadBody(state: HelpScoutState, thread: StoredThread): Record<string, unknown> {
  const customer = personRef(state, { type: 'customer', id: thread.customerId });
  return {
    id: thread.id,
    assignedTo: null,
    status: thread.status,
    createdAt: iso(thread.createdAt),
    createdBy: personRef(state, thread.createdBy),
    source: thread.source,
    actionType: thread.action?.type ?? null,
    actionSourceId: 0,
    // Set only when a conversation was moved from another mailbox, which the fake never does.
    fromMailbox: null,
    type: thread.type,
    state: thread.state,
    customer,
    body: thread.body,
    to: thread.type === 'message' ? [customer.email] : [],
    cc: [],
    bcc: [],
    attachments: thread.attachments.map((a) => ({ id: a.id, filename: a.filename, mimeType: a.mimeType, size: a.size })),
  };
}

function personRef(state: HelpScoutState, ref: { type: 'customer' | 'user'; id: number }): PersonRef {
  const person = ref.type === 'customer' ? state.customers.get(ref.id) : state.users.get(ref.id);
  return { id: ref.id, firstName: person?.first ?? null, lastName: person?.last ?? null, email: person?.email ?? null, type: ref.type };
}
