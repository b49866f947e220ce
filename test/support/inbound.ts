import type { InboundMessage } from '../../src/conversations/inbound.js';

/** A chat message from user `user` of app `app`, threaded by `thread`. */
export function chatMessage(overrides: Omit<Partial<InboundMessage>, 'thread'> & { id: string; thread?: string; user?: string }): InboundMessage {
  const { id, thread, user, ...rest } = overrides;
  const userId = user ?? 'user-1';
  return {
    channel: 'chat',
    source: 'chat:app1',
    sourceMessageId: id,
    thread: { key: thread ?? `conv-of-${userId}` },
    contact: { identityKind: 'chat', identityKey: `app1:${userId}`, email: `${userId}@example.com`, name: `User ${userId}`, verified: true },
    text: `message ${id}`,
    ...rest,
  };
}
