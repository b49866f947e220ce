import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { IntegrationRegistry } from '../capabilities/registry.js';
import type { SidebarCapability, SidebarResponse, SidebarSubject } from '../capabilities/sidebar.js';
import type { RawRequest } from '../capabilities/webhook.js';
import { badRequest, HubError, notFound, parseInput, parseJsonBody, unauthorized } from '../errors.js';
import { basicPassword, bearerToken, secretsEqual } from '../http/bearer.js';
import { HUB_SIGNATURE_HEADER, verifyHubSignature } from '../http/hub-signature.js';
import { uniqueAddresses } from './addresses.js';
import { noticeCard, type SidebarCard } from './card.js';
import type { CardService } from './card-service.js';
import { renderHelpScoutCard } from './render-helpscout.js';
import { compileView } from './render.js';

export interface SidebarRouterDeps {
  registry: IntegrationRegistry;
  cards: CardService;
  /** SIDEBAR_CARD_SECRET; unset = `POST /sidebar/card` is off. */
  cardSecret: string | undefined;
  /** SIDEBAR_PREVIEW_TOKEN; unset = `GET /sidebar/preview` is off (until staff logins exist). */
  previewToken: string | undefined;
  maxBodyBytes: number;
}

const renderPreview = compileView('preview');
const renderCallbackInfo = compileView('callback-info');
/** The helpdesks that call `POST /sidebar/{id}`; a browser's GET there gets a page saying so. */
const CALLBACK_HELPDESKS = new Set(['helpscout', 'zendesk']);

const cardRequestSchema = z.object({
  email: z.string().max(320).nullish(),
  emails: z.array(z.string().max(320)).max(100).nullish(),
  name: z.string().max(500).nullish(),
});

const REJECTED_NOTICE = 'Support Hub could not verify that this request comes from the helpdesk. Check the app’s secret key or token.';

/**
 * Sidebar callbacks (ARCHITECTURE §7): `POST /sidebar/{helpdesk}` answers in the helpdesk's own
 * format, errors included (Help Scout shows the `html` of a 401 too); `POST /sidebar/card` returns
 * the card as JSON for other tools. Both verify over the raw bytes before parsing anything, and
 * send `no-store`: the answer is customer data.
 */
export function sidebarRouter(deps: SidebarRouterDeps): Router {
  const router = Router();
  const raw = express.raw({ type: () => true, limit: deps.maxBodyBytes });
  const rawRequest = (req: Request): RawRequest => ({ rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), headers: req.headers, url: req.originalUrl });

  // Declared before `/sidebar/:helpdesk`, which would otherwise take "card" for a helpdesk id.
  router.post('/sidebar/card', raw, async (req, res) => {
    if (!deps.cardSecret) throw notFound('POST /sidebar/card is off: set SIDEBAR_CARD_SECRET to enable it', 'not_configured');
    const request = rawRequest(req);
    const check = verifyHubSignature(req.get(HUB_SIGNATURE_HEADER), request.rawBody, [deps.cardSecret]);
    if (!check.ok) throw unauthorized(`${HUB_SIGNATURE_HEADER} check failed: ${check.reason}`, 'invalid_signature');
    const body = parseJsonBody(request.rawBody, 'the request body', 'malformed_json');
    const given = parseInput(cardRequestSchema, body, 'card request', 'invalid_card_request');
    const emails = uniqueAddresses([given.email, ...(given.emails ?? [])]);
    if (emails.length === 0) throw badRequest('give the customer’s address in "email" (and any others in "emails")', 'invalid_card_request');
    const card = await deps.cards.cardFor({ emails, name: given.name?.trim() || null });
    res.set('Cache-Control', 'no-store').status(200).json(card);
  });

  // The card as an agent sees it in Help Scout, for staff: Bearer token, or Basic (the browser's
  // own prompt) with the token as password.
  router.get('/sidebar/preview', async (req, res) => {
    if (!deps.previewToken) throw notFound('GET /sidebar/preview is off: set SIDEBAR_PREVIEW_TOKEN to enable it', 'not_configured');
    const given = bearerToken(req.get('authorization')) ?? basicPassword(req.get('authorization'));
    if (!given || !secretsEqual(given, deps.previewToken)) {
      res.set('WWW-Authenticate', 'Basic realm="Support Hub sidebar preview", charset="UTF-8"');
      throw unauthorized('the sidebar preview needs SIDEBAR_PREVIEW_TOKEN (Bearer, or as the Basic password)');
    }
    const emails = uniqueAddresses([typeof req.query['email'] === 'string' ? req.query['email'] : null]);
    if (emails.length === 0) throw badRequest('give the customer’s address: /sidebar/preview?email=…', 'invalid_preview_request');
    const name = typeof req.query['name'] === 'string' ? req.query['name'].slice(0, 500) : null;
    const card = await deps.cards.cardFor({ emails, name });
    res.set('Cache-Control', 'no-store').type('html').send(renderPreview({ email: emails[0], card, cardHtml: renderHelpScoutCard(card) }));
  });

  const capabilityFor = (req: Request): SidebarCapability | undefined => deps.registry.get('sidebar', String(req.params['helpdesk']));

  // An unknown helpdesk gets the hub's usual JSON 404 before any body is read.
  const knownHelpdesk: RequestHandler = (req, _res, next) => {
    if (!capabilityFor(req)) throw notFound(`no sidebar is configured for "${String(req.params['helpdesk'])}"`, 'unknown_sidebar');
    next();
  };
  const answerCard: RequestHandler = async (req, res) => {
    const sidebar = capabilityFor(req)!;
    const request = rawRequest(req);
    const verdict = sidebar.verify(request);
    if (!verdict.ok) {
      req.log?.warn({ reason: verdict.reason }, 'sidebar request rejected');
      send(res, sidebar.respond(noticeCard(REJECTED_NOTICE), 401));
      return;
    }
    const subject = subjectOf(sidebar, request);
    const refusal = sidebar.refusal?.(subject) ?? null;
    if (refusal) {
      send(res, sidebar.respond(noticeCard(refusal)));
      return;
    }
    send(res, renderedCard(sidebar, await deps.cards.cardFor({ emails: subject.emails, name: subject.name, agentTimeZone: subject.agentTimeZone ?? null })));
  };
  // Errors on this route still answer in the helpdesk's format, so the agent reads a sentence.
  const answerErrors: ErrorRequestHandler = (error: unknown, req, res, next) => {
    const sidebar = capabilityFor(req);
    if (!sidebar || res.headersSent) {
      next(error);
      return;
    }
    const status = statusOf(error);
    if (status >= 500) req.log?.error({ err: error }, 'sidebar card failed');
    const message = status >= 500 ? `Support Hub could not build this card (request id ${String(req.id)}).` : (error as Error).message;
    send(res, sidebar.respond(noticeCard(message), status));
  };
  router.post('/sidebar/:helpdesk', knownHelpdesk, raw, answerCard, answerErrors);

  // Someone pasting the callback URL into a browser (to check the hub is reachable, say) reads
  // what the address is for and how to set it up, not a JSON "no route". 405: only POST is served.
  router.get('/sidebar/:helpdesk', (req, res, next) => {
    const helpdesk = String(req.params['helpdesk']);
    if (!CALLBACK_HELPDESKS.has(helpdesk)) {
      next();
      return;
    }
    const hubUrl = `${req.protocol}://${req.host ?? 'localhost'}`;
    res
      .status(405)
      .set('Allow', 'POST')
      .type('html')
      .send(renderCallbackInfo({ helpdesk, configured: capabilityFor(req) !== undefined, callbackUrl: `${hubUrl}/sidebar/${helpdesk}`, hubUrl }));
  });
  return router;
}

// An agent's helpdesk sends the same payload every time the conversation is opened, so a verified
// body's parse (JSON and its schema) is remembered: a pure function of the bytes, bounded LRU.
const MAX_SUBJECTS = 2000;
const subjects = new WeakMap<SidebarCapability, Map<string, SidebarSubject>>();

/** Bodies larger than this are parsed every time (keeps the memo under ~16 MB). */
const MAX_REMEMBERED_BODY = 8 * 1024;

function subjectOf(sidebar: SidebarCapability, request: RawRequest): SidebarSubject {
  if (request.rawBody.length > MAX_REMEMBERED_BODY) return sidebar.subject(request);
  let known = subjects.get(sidebar);
  if (!known) subjects.set(sidebar, (known = new Map()));
  const key = request.rawBody.toString('latin1');
  const found = known.get(key);
  if (found) {
    known.delete(key);
    known.set(key, found);
    return found;
  }
  const subject = sidebar.subject(request);
  if (known.size >= MAX_SUBJECTS) known.delete(known.keys().next().value as string);
  known.set(key, subject);
  return subject;
}

// The card service hands back the same card object while it is reusable, so its rendering (and
// its length in bytes) is reused too.
interface Rendered {
  answer: SidebarResponse;
  length: number;
}
const rendered = new WeakMap<SidebarCapability, WeakMap<SidebarCard, Rendered>>();

function renderedCard(sidebar: SidebarCapability, card: SidebarCard): Rendered {
  let byCard = rendered.get(sidebar);
  if (!byCard) rendered.set(sidebar, (byCard = new WeakMap()));
  let done = byCard.get(card);
  if (!done) {
    const answer = sidebar.respond(card);
    byCard.set(card, (done = { answer, length: Buffer.byteLength(answer.body) }));
  }
  return done;
}

function send(res: Response, answer: SidebarResponse | Rendered): void {
  const { status, contentType, body } = 'length' in answer ? answer.answer : answer;
  // res.end, not res.send: an ETag (a hash of every card) is no use on a no-store answer. A string
  // body goes out with the headers as one chunk (one write), where a Buffer is a second one.
  res.statusCode = status;
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', 'length' in answer ? answer.length : Buffer.byteLength(body));
  res.end(body);
}

/** HubErrors keep their status; body-parser's client errors (too large, aborted) keep theirs. */
function statusOf(error: unknown): number {
  if (error instanceof HubError) return error.status;
  const status = (error as { status?: unknown; expose?: unknown }).status;
  return typeof status === 'number' && status >= 400 && status < 500 && (error as { expose?: unknown }).expose ? status : 500;
}
