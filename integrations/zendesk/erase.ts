import type { HelpdeskErasure, HelpdeskPerson } from '../../src/capabilities/helpdesk.js';
import { VendorError } from '../../src/vendors/error.js';
import { abortableSleep } from '../../src/vendors/rate-budget.js';
import type { ZendeskClient } from './client.js';
import type { ZendeskJobStatus, ZendeskUser } from './dto.js';
import { requesterIdFrom } from './mapper.js';

export interface ZendeskErasureTiming {
  /** First wait before reading a permanent-deletion job again (doubles up to 2 s). */
  jobPollMs: number;
  /** Longest one erasure waits for Zendesk's deletion jobs before leaving the rest to a retry. */
  jobWaitMs: number;
}

export const defaultErasureTiming: ZendeskErasureTiming = { jobPollMs: 250, jobWaitMs: 20_000 };

/**
 * Permanent-deletion jobs queued at once: Zendesk limits how many background jobs may be queued or
 * running per account (support-oas.yaml › "Job limit"), and the hub's sync needs some of them too.
 */
const JOBS_AT_ONCE = 10;

/**
 * One person's erasure at Zendesk, in the order Zendesk's documents require:
 *
 * 1. Tickets first. Deleting a user leaves their tickets in place ("Any closed tickets associated
 *    with the user will not be deleted", support.zendesk.com › Announcing automatic permanent removal
 *    of soft-deleted users), and "You can't delete an end user who's the requester on a ticket that
 *    isn't closed" (› Deleting end users). Delete Ticket is a soft delete: the ticket stays among the
 *    deleted tickets until it is scrubbed, so each one is then permanently deleted (Delete Ticket
 *    Permanently, "See Soft delete in the Zendesk GDPR docs"), a queued job whose end is awaited.
 * 2. Then the user: Delete User ("To comply with GDPR, a further step is needed"), then Permanently
 *    Delete User ("Before permanently deleting a user, you must delete the user first").
 *
 * Users are the requester ids the hub recorded on its tickets and every user found by searching
 * each address (a person may have a Zendesk user the hub never synced a ticket for); tickets are the
 * hub's and every ticket those users requested. Staff accounts (agents, admins) are never deleted:
 * they go to `manual`. Each step treats "not there" (404) as done, so a retry after a crash or an
 * outage repeats harmlessly; transient failures propagate as the client's VendorErrors.
 */
export async function eraseZendeskPerson(client: ZendeskClient, person: HelpdeskPerson, timing: ZendeskErasureTiming, signal?: AbortSignal): Promise<HelpdeskErasure> {
  const manual: string[] = [];
  const { endUsers, staff } = await findUsers(client, person, signal);
  for (const user of staff) {
    manual.push(`Zendesk user ${user.id} (role: ${user.role}) is a staff account with one of this person's addresses and was not deleted: if it is theirs, remove it in Admin Center › People › Team members`);
  }

  const ticketIds = new Set(person.conversations.map((ref) => ref.externalId));
  for (const [id, user] of endUsers) {
    // null or inactive: a deleted user, whose tickets were deleted before the user could be.
    if (!user || user.active === false) continue;
    for (const ticket of await client.requestedTickets(id, signal)) ticketIds.add(String(ticket.id));
  }
  const purged = await purgeTickets(client, [...ticketIds], timing, signal);

  const usersPurged: string[] = [];
  for (const [id, user] of endUsers) {
    // Show User still shows a soft-deleted user (`active: false`); a 404 there may be one too.
    if (user?.active !== false) await client.deleteUser(id, signal);
    if (await client.permanentlyDeleteUser(id, signal)) usersPurged.push(id);
  }

  const done: string[] = [];
  if (purged > 0) done.push(`${purged} ${purged === 1 ? 'ticket' : 'tickets'} permanently deleted`);
  for (const id of usersPurged) done.push(`user ${id} permanently deleted`);
  return { done, manual };
}

/** The person's users by id: end users to erase (null: Show User found none, it may be soft-deleted), staff to leave. */
async function findUsers(client: ZendeskClient, person: HelpdeskPerson, signal?: AbortSignal): Promise<{ endUsers: Map<string, ZendeskUser | null>; staff: ZendeskUser[] }> {
  const found = new Map<string, ZendeskUser | null>();
  for (const ref of person.conversations) {
    const id = requesterIdFrom(ref.metadata);
    if (id !== null && !found.has(String(id))) found.set(String(id), await client.showUser(String(id), signal));
  }
  for (const email of new Set(person.emails.map((e) => e.trim().toLowerCase()).filter((e) => e.length > 0))) {
    // Search matches words and parts of values: only a user whose address is exactly this one is the person.
    for (const user of await client.searchUsers(`email:"${email}"`, signal)) {
      if (user.email?.toLowerCase() === email) found.set(String(user.id), user);
    }
  }
  const endUsers = new Map<string, ZendeskUser | null>();
  const staff: ZendeskUser[] = [];
  for (const [id, user] of found) {
    if (user && user.role && user.role !== 'end-user') staff.push(user);
    else endUsers.set(id, user);
  }
  return { endUsers, staff };
}

/**
 * Deletes each ticket, then queues its permanent deletion right away, a few jobs at a time, and
 * waits for them; returns how many the jobs deleted. Right away, because a soft-deleted ticket
 * drops out of List User Requested Tickets: if this run stopped in between, a retry could find
 * only the hub's own tickets again (the rest Zendesk scrubs 30 days after deletion, List Deleted
 * Tickets). A queued job runs whether or not anyone waits for it.
 */
async function purgeTickets(client: ZendeskClient, ticketIds: string[], timing: ZendeskErasureTiming, signal?: AbortSignal): Promise<number> {
  let purged = 0;
  const deadline = Date.now() + timing.jobWaitMs;
  for (let start = 0; start < ticketIds.length; start += JOBS_AT_ONCE) {
    const jobs: { ticketId: string; job: ZendeskJobStatus }[] = [];
    for (const ticketId of ticketIds.slice(start, start + JOBS_AT_ONCE)) {
      await client.deleteTicket(ticketId, signal);
      // Every id, not only one just deleted: a ticket deleted by an earlier, interrupted run answers
      // Delete Ticket with 404 yet may still wait among the deleted tickets. null: none there — it
      // is permanently deleted already.
      const job = await client.permanentlyDeleteTicket(ticketId, signal);
      if (job) jobs.push({ ticketId, job });
    }
    for (const { ticketId, job } of jobs) {
      if (await finished(client, ticketId, job, deadline, timing.jobPollMs, signal)) purged++;
    }
  }
  return purged;
}

/**
 * Waits for a deletion job (Show Job Status) to complete; a failed or overdue one leaves the erasure
 * to a retry. True when its result says it deleted the ticket (false: it was gone already, e.g. a
 * second job for the same ticket after a retry).
 */
async function finished(client: ZendeskClient, ticketId: string, queued: ZendeskJobStatus, deadline: number, pollMs: number, signal?: AbortSignal): Promise<boolean> {
  let job = queued;
  let wait = pollMs;
  while (job.status !== 'completed') {
    if (job.status === 'failed') {
      throw new VendorError('unavailable', `zendesk: permanent deletion of ticket ${ticketId} failed (job ${job.id}: ${job.message ?? 'no message'}); a retry queues it again`);
    }
    if (Date.now() + wait > deadline) {
      throw new VendorError('unavailable', `zendesk: permanent deletion of ticket ${ticketId} is still ${job.status} (job ${job.id}); a retry finds what is left`, { retryAfterMs: 30_000 });
    }
    await abortableSleep(wait, signal);
    wait = Math.min(2_000, wait * 2);
    job = await client.jobStatus(job.id, signal);
  }
  const results = Array.isArray(job.results) ? (job.results as unknown[]) : [];
  return !results.some((r) => typeof r === 'object' && r !== null && (r as { success?: unknown }).success === false);
}

/** Zendesk's user id for the customer a ticket's metadata records (its requester). */
export function zendeskCustomerIds(metadata: Record<string, unknown>): string[] {
  const id = requesterIdFrom(metadata);
  return id === null ? [] : [String(id)];
}
