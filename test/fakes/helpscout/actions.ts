import type { HelpScoutState, Person, StoredConversation, StoredThread } from './state.js';

/**
 * What people do in Help Scout outside the API: agents reply and add notes in the UI, change the
 * status; customers write to the mailbox and reply by email. Each changes state as Help Scout
 * would, sends its webhook, and records the customer notifications Help Scout itself would mail.
 */
export class AccountActions {
  constructor(
    private readonly state: HelpScoutState,
    private readonly settings: { notifications(): boolean; importedSilencesAgentReplies: boolean },
  ) {}

  agentReply(conversationId: string, text: string, agentName?: string): { threadId: string } {
    const conversation = this.conversation(conversationId);
    const customer = this.customerOf(conversation);
    const thread = this.thread(conversation, 'message', `<p>${escapeHtml(text)}</p>`, 'web', { type: 'user', id: this.state.agent(agentName).id });
    this.state.changed(conversation, 'convo.agent.reply.created');
    // Help Scout mails an agent's reply to the customer; imported conversations too unless importedSilencesAgentReplies (README: assumed).
    if (this.settings.notifications() && !(conversation.imported && this.settings.importedSilencesAgentReplies)) {
      this.state.notify({ to: customer.email, conversationId, threadId: String(thread.id), kind: 'agent-reply', text });
    }
    return { threadId: String(thread.id) };
  }

  agentNote(conversationId: string, text: string): { threadId: string } {
    const conversation = this.conversation(conversationId);
    const thread = this.thread(conversation, 'note', `<p>${escapeHtml(text)}</p>`, 'web', { type: 'user', id: this.state.agent().id });
    this.state.changed(conversation, 'convo.note.created');
    return { threadId: String(thread.id) };
  }

  setStatus(conversationId: string, status: 'open' | 'pending' | 'closed'): void {
    const conversation = this.conversation(conversationId);
    this.state.setStatus(conversation, status === 'open' ? 'active' : status, this.state.agent(), 'web');
    this.state.changed(conversation, 'convo.status');
  }

  customerWrites(input: { email: string; name?: string; subject: string; text: string }): { conversationId: string; threadId: string } {
    const [first, ...rest] = (input.name ?? '').split(' ');
    const customer = this.state.customerByEmail(input.email, first || null, rest.join(' ') || null);
    const conversation = this.state.newConversation({
      mailboxId: this.state.mailbox.id,
      type: 'email',
      status: 'active',
      subject: input.subject,
      customerId: customer.id,
      tags: [],
      createdAt: this.state.now(),
      imported: false,
      source: { type: 'email', via: 'customer' },
      createdBy: { type: 'customer', id: customer.id },
    });
    const thread = this.thread(conversation, 'customer', mailBody(input.text), 'email', { type: 'customer', id: customer.id });
    this.state.changed(conversation, 'convo.created');
    // The mailbox's auto-reply is on, as shipped.
    if (this.settings.notifications()) {
      this.state.notify({ to: customer.email, conversationId: String(conversation.id), threadId: null, kind: 'auto-reply', text: 'We received your message and will get back to you soon.' });
    }
    return { conversationId: String(conversation.id), threadId: String(thread.id) };
  }

  customerReplies(conversationId: string, text: string): { threadId: string } {
    const conversation = this.conversation(conversationId);
    const customer = this.customerOf(conversation);
    const thread = this.thread(conversation, 'customer', mailBody(text), 'email', { type: 'customer', id: customer.id });
    conversation.status = 'active';
    this.state.changed(conversation, 'convo.customer.reply.created');
    return { threadId: String(thread.id) };
  }

  private thread(
    conversation: StoredConversation,
    type: 'message' | 'note' | 'customer',
    body: string,
    source: 'web' | 'email',
    createdBy: StoredThread['createdBy'],
  ): StoredThread {
    return this.state.newThread(conversation, {
      type,
      state: 'published',
      status: type === 'customer' ? 'active' : 'nochange',
      body,
      source: { type: source, via: createdBy.type },
      customerId: conversation.customerId,
      createdBy,
      createdAt: this.state.now(),
      attachments: [],
    });
  }

  private conversation(id: string): StoredConversation {
    const conversation = this.state.conversations.get(Number(id));
    if (!conversation) throw new Error(`fake Help Scout: no conversation ${id}`);
    return conversation;
  }

  private customerOf(conversation: StoredConversation): Person {
    return this.state.customers.get(conversation.customerId)!;
  }
}

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const mailBody = (text: string) => escapeHtml(text).replace(/\n/g, '<br>');
