import { isVendorError } from '../../src/vendors/error.js';
import type { HelpScoutClient } from './client.js';
import { conversationDto, conversationsPage, parseVendor, threadsPage, userDto, type ConversationDto, type ThreadDto } from './mapper.js';

/** Pages read at most when listing (50 per page): a reconciliation poll stays bounded. */
export const MAX_LIST_PAGES = 20;

/**
 * The reads the helpdesk capability builds on, each parsed at the edge. Thread reads are
 * consistent; conversation lists lag behind writes (see traits.searchLagMs).
 */
export class HelpScoutReads {
  private ownUser: Promise<number> | null = null;
  /** The resolved id of the user our app acts as, for synchronous use (webhook parsing). */
  ownUserKnown: number | null = null;

  constructor(
    private readonly client: HelpScoutClient,
    private readonly mailboxId: number,
  ) {}

  async threads(externalId: string, signal?: AbortSignal): Promise<ThreadDto[]> {
    const threads: ThreadDto[] = [];
    // "URL query params will not be carried into page reference links": ask for each page ourselves.
    for (let page = 1; page <= MAX_LIST_PAGES; page++) {
      const response = await this.client.get(`/conversations/${externalId}/threads`, { page }, signal);
      const body = parseVendor(threadsPage, response.body, 'thread list');
      threads.push(...(body._embedded?.threads ?? []));
      if (!body.page || body.page.number >= body.page.totalPages) break;
    }
    return threads;
  }

  /** Conversations of our mailbox matching `query`, following pages up to `maxPages`. */
  async conversations(query: Record<string, string>, maxPages: number, signal?: AbortSignal): Promise<ConversationDto[]> {
    const conversations: ConversationDto[] = [];
    for (let page = 1; page <= maxPages; page++) {
      const response = await this.client.get('/conversations', { mailbox: this.mailboxId, ...query, page }, signal);
      const body = parseVendor(conversationsPage, response.body, 'conversation list');
      conversations.push(...(body._embedded?.conversations ?? []));
      if (!body.page || body.page.number >= body.page.totalPages) break;
    }
    return conversations;
  }

  /** One conversation; null when Help Scout has no such conversation (404). */
  async conversation(externalId: string, signal?: AbortSignal): Promise<ConversationDto | null> {
    try {
      const response = await this.client.get(`/conversations/${externalId}`, undefined, signal);
      return parseVendor(conversationDto, response.body, 'conversation');
    } catch (error) {
      if (isVendorError(error) && error.kind === 'not_found') return null;
      throw error;
    }
  }

  /** The user our app acts as (its API replies and notes are ours; other users' are agents'). */
  ownUserId(signal?: AbortSignal): Promise<number> {
    this.ownUser ??= this.client.get('/users/me', undefined, signal).then(
      (response) => (this.ownUserKnown = parseVendor(userDto, response.body, 'user').id),
      (error: unknown) => {
        this.ownUser = null;
        throw error;
      },
    );
    return this.ownUser;
  }
}
