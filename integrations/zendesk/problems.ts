import type { HelpdeskProblems, HelpdeskWrite, IncidentProblem, WriteOutcome } from '../../src/capabilities/helpdesk.js';
import { isVendorError } from '../../src/vendors/error.js';
import type { ZendeskClient } from './client.js';
import type { ZendeskTicket, ZendeskTicketWrite } from './dto.js';
import { commentMatches, problemExternalId } from './mapper.js';

/**
 * Hub incidents as Zendesk's own problem and incident tickets (support.zendesk.com › "Working
 * with problem and incident tickets"; fields from TicketObject in support-oas.yaml): the incident
 * is one `type: problem` ticket made by the API user, and every member conversation's ticket is a
 * `type: incident` linked to it by `problem_id`, so agents see the linked incidents on the problem
 * and can solve them together. Solving a problem solves its linked incidents, which is why the
 * engine (src/sync/problem.ts) solves a merged-away problem only after its members were re-linked.
 */
export class ZendeskProblems implements HelpdeskProblems {
  constructor(
    private readonly client: ZendeskClient,
    private readonly apiUserId: (signal?: AbortSignal) => Promise<number | null>,
  ) {}

  async open(problem: IncidentProblem, signal?: AbortSignal): Promise<string> {
    const body = {
      ticket: {
        subject: `Incident #${problem.number}: ${problem.title}`,
        type: 'problem',
        // Private: the problem is for agents; its requester is the API user (no requester given).
        comment: { body: problem.body, public: false },
        external_id: problemExternalId(problem.incidentId),
        // hub_delivered: the requester triggers that exclude it mail nobody about this ticket.
        tags: ['hub_delivered', 'hub_incident'],
      },
    };
    // The key names the incident: a retry within Zendesk's two hours returns the first ticket.
    const created = await this.client.createTicket(body, `hub-incident-${problem.incidentId}`, signal);
    return String(created.ticket.id);
  }

  async find(incidentId: string, signal?: AbortSignal): Promise<string | null> {
    const tickets = (await this.client.ticketsByExternalId(problemExternalId(incidentId), signal)).sort((a, b) => a.id - b.id);
    return tickets[0] ? String(tickets[0].id) : null;
  }

  async solve(problemId: string, note: string, signal?: AbortSignal): Promise<void> {
    let ticket: ZendeskTicket;
    try {
      ({ ticket } = await this.client.showTicket(problemId, signal));
    } catch (error) {
      // Deleted in Zendesk: nothing left to solve.
      if (isVendorError(error) && error.kind === 'not_found') return;
      throw error;
    }
    if (ticket.status === 'solved' || ticket.status === 'closed') return;
    // "A ticket's status can't be set to Solved … without an assignee" (About native system ticket
    // rules): an unassigned problem is assigned to the API user as it is solved.
    const assignee = ticket.assignee_id ? {} : await this.assignee(signal);
    // One update: the status, the note and the assignee land together, so a solved problem read
    // after a lost answer proves the note is there too.
    await this.client.updateTicket(problemId, { ticket: { status: 'solved', ...assignee, comment: { body: note, public: false } } }, signal);
  }

  /**
   * A member ticket linked to its incident's problem (`type: incident`, `problem_id`), or unlinked
   * (`type` and `problem_id` null, as the hub created it), with the note for agents in the same
   * update. A closed ticket cannot change ("Status: closed prevents ticket update"): nothing to link.
   */
  async link(op: Extract<HelpdeskWrite, { kind: 'incident' }>, signal?: AbortSignal): Promise<{ write: ZendeskTicketWrite | null }> {
    const fields = op.incident ? { type: 'incident', problem_id: Number(problemIdOf(op)) } : { type: null, problem_id: null };
    const comment = op.note ? { comment: { body: op.note, public: false } } : {};
    try {
      return { write: await this.client.updateTicket(op.ref.externalId, { ticket: { ...fields, ...comment } }, signal) };
    } catch (error) {
      if (isVendorError(error) && error.status === 422 && error.message.includes('closed')) return { write: null };
      throw error;
    }
  }

  /** After a lost answer: the link landed when the ticket shows it (the note rode in the same update). */
  async findLink(op: Extract<HelpdeskWrite, { kind: 'incident' }>, knownThreadIds: ReadonlySet<string>, signal?: AbortSignal): Promise<WriteOutcome | null> {
    const { ticket } = await this.client.showTicket(op.ref.externalId, signal);
    if (!linkedAsWanted(ticket, op)) return ticket.status === 'closed' ? { threadIds: [] } : null;
    if (!op.note) return { threadIds: [] };
    const { comments } = await this.client.comments(op.ref.externalId, signal);
    const note = comments.filter((c) => !c.public && !knownThreadIds.has(String(c.id)) && commentMatches(c, op.note!)).at(-1);
    return { threadIds: note ? [String(note.id)] : [] };
  }

  private async assignee(signal?: AbortSignal): Promise<{ assignee_id?: number }> {
    const id = await this.apiUserId(signal);
    return id === null ? {} : { assignee_id: id };
  }
}

function problemIdOf(op: Extract<HelpdeskWrite, { kind: 'incident' }>): string {
  const id = op.incident?.problemId;
  // The engine makes the problem before it links anyone (src/sync/problem.ts).
  if (!id || !/^\d+$/.test(id)) throw new Error(`zendesk: incident #${op.incident?.number} has no problem ticket to link to`);
  return id;
}

function linkedAsWanted(ticket: ZendeskTicket, op: Extract<HelpdeskWrite, { kind: 'incident' }>): boolean {
  if (!op.incident) return (ticket.problem_id ?? null) === null;
  return ticket.type === 'incident' && String(ticket.problem_id ?? '') === problemIdOf(op);
}
