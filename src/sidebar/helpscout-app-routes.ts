import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { IntegrationRegistry } from '../capabilities/registry.js';
import type { SidebarAppCapability, SidebarAppCustomer } from '../capabilities/sidebar-app.js';
import { HubError, parseInput, parseJsonBody, unauthorized } from '../errors.js';
import { bearerToken } from '../http/bearer.js';
import { selfOnlyPageCsp } from '../http/csp.js';
import { readSmallBody } from '../http/small-body.js';
import { uniqueAddresses } from './addresses.js';
import type { SidebarAppAssets } from './app-client/build.js';
import { CustomerBindings, mintPageToken, mintPanelToken, readToken, tokenKey } from './app-token.js';
import { noticeCard, type SidebarCard, type Tone } from './card.js';
import type { CardService } from './card-service.js';
import { HELPSCOUT_FRAME_ANCESTORS } from './helpscout-app.js';
import { compileView } from './render.js';

/**
 * Help Scout's App Developer Platform sidebar (src/sidebar/helpscout-app.ts): the page Help Scout
 * frames, its side panel, their script and stylesheet, and the card endpoint the script asks.
 *
 * - `GET /sidebar/helpscout/app` verifies the signed query and answers a page with no data and a
 *   short-lived card token (app-token.ts); anything unverified gets a small page saying why.
 * - `POST /sidebar/helpscout/app/card` answers the card only for a valid token: the customer comes
 *   from Help Scout's API when the integration has credentials, else from the page's SDK context
 *   (bound to the token at its first use), else from the panel token that binding produced.
 * - Framing: CSP `frame-ancestors` names Help Scout's origin and no X-Frame-Options is sent on
 *   these pages (helmet's SAMEORIGIN elsewhere); scripts and styles from the hub only.
 */
export interface HelpScoutAppRouterDeps {
  registry: IntegrationRegistry;
  cards: CardService;
  assets: SidebarAppAssets;
}

const INTEGRATION = 'helpscout';
const renderPage = compileView('helpscout-app');
const renderRefused = compileView('helpscout-app-refused');
const renderCardView = compileView('helpscout-app-card');

const BADGE_CLASS: Record<Tone, string> = { neutral: 'badge', success: 'badge green', info: 'badge blue', warning: 'badge orange', danger: 'badge red' };
/** What the sidebar's short view shows of a source section; the side panel shows everything. */
const SIDEBAR_LABELS = new Set(['Plan', 'Status', 'Trial ends', 'Renews', 'Seats', 'Identity', 'Conversations']);

const cardRequest = z.object({
  view: z.enum(['sidebar', 'panel']).default('sidebar'),
  email: z.string().max(320).nullish(),
  emails: z.array(z.string().max(320)).max(20).nullish(),
  name: z.string().max(500).nullish(),
});

const CSPS = new WeakMap<readonly string[], string>();
/** The page's policy: framed by the helpdesk's origins only (worked out once per list). */
function pageCsp(app: Pick<SidebarAppCapability, 'frameAncestors'>): string {
  let csp = CSPS.get(app.frameAncestors);
  if (csp === undefined) CSPS.set(app.frameAncestors, (csp = selfOnlyPageCsp(app.frameAncestors)));
  return csp;
}

function framedHeaders(res: Response, app: Pick<SidebarAppCapability, 'frameAncestors'>): void {
  res.removeHeader('X-Frame-Options');
  res.setHeader('Content-Security-Policy', pageCsp(app));
  res.setHeader('Cache-Control', 'no-store');
  // Help Scout's page is another site: helmet's same-origin opener/resource policies stay, framing is what CSP allows.
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
}

const JSON_TYPE = 'application/json; charset=utf-8';
/** A card request is a view name, a few addresses and a name. */
const CARD_REQUEST_LIMIT = 16 * 1024;
const CARD_VIEWS = new WeakMap<SidebarCard, { sidebar?: string; panel?: string }>();

/**
 * The card's HTML for a view as the start of the JSON answer (`{"html":…,"kind":…`); memoised per
 * card object (the card service reuses unchanged cards), so a warm card is neither rendered nor
 * serialised again.
 */
function cardJsonStart(card: SidebarCard, view: 'sidebar' | 'panel'): string {
  let views = CARD_VIEWS.get(card);
  if (!views) CARD_VIEWS.set(card, (views = {}));
  return (views[view] ??= `{"html":${JSON.stringify(renderCardView({ card, full: view === 'panel', badgeClass: (tone: Tone) => BADGE_CLASS[tone] ?? 'badge', compactLabels: SIDEBAR_LABELS }).trim())},"kind":${JSON.stringify(card.kind)}`);
}

/**
 * res.end, not res.send: an ETag (a hash of every answer) is no use on a no-store answer. A string
 * body, not a Buffer: Node writes the headers and a string body as one chunk (one write(2) and no
 * Buffer per answer), where a Buffer body goes out as a second chunk through writev.
 */
function sendNoStore(res: Response, status: number, contentType: string, body: string): void {
  res.statusCode = status;
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

export function helpScoutAppRouter(deps: HelpScoutAppRouterDeps): Router {
  const router = Router();
  const app = (): SidebarAppCapability | undefined => deps.registry.get('sidebarApp', INTEGRATION);
  const keys = new Map<string, Buffer>();
  const keyOf = (capability: SidebarAppCapability) => {
    let key = keys.get(capability.tokenSecret);
    if (!key) keys.set(capability.tokenSecret, (key = tokenKey(capability.tokenSecret)));
    return key;
  };
  const bindings = new CustomerBindings();
  const { assets } = deps;

  const refuse = (res: Response, capability: SidebarAppCapability | undefined, status: number, title: string, message: string, hint: string | null) => {
    framedHeaders(res, capability ?? { frameAncestors: HELPSCOUT_FRAME_ANCESTORS });
    res.status(status).send(renderRefused({ title, message, hint }));
  };

  router.get('/sidebar/helpscout/app', (req, res) => {
    const capability = app();
    if (!capability) {
      refuse(res, undefined, 404, 'Sidebar app not configured', 'This hub has no Help Scout sidebar app configured.', 'Set HELPSCOUT_APP_SECRET to the app’s Secret Key (Help Scout: Manage › Apps › your app) and restart the hub.');
      return;
    }
    const verdict = capability.verifyPage(req.originalUrl);
    if (!verdict.ok) {
      req.log?.warn({ reason: verdict.reason }, 'sidebar app page rejected');
      refuse(res, capability, 401, 'Not verified', 'Support Hub could not verify that this page was opened by Help Scout, so it shows no customer data.', `Check that the app’s Secret Key in Help Scout equals HELPSCOUT_APP_SECRET (${verdict.reason}).`);
      return;
    }
    const refusal = capability.refusal?.(verdict) ?? null;
    if (refusal) {
      refuse(res, capability, 200, 'Not enabled here', refusal, null);
      return;
    }
    framedHeaders(res, capability);
    sendNoStore(res, 200, 'text/html; charset=utf-8', renderPage({ view: 'sidebar', token: mintPageToken(keyOf(capability), verdict), assetVersion: assets.version }));
  });

  // The side panel's page holds no data and no token: the token travels in the URL fragment,
  // which the browser never sends, and only the panel's own script reads it.
  router.get('/sidebar/helpscout/app/panel', (req, res) => {
    const capability = app();
    if (!capability) {
      refuse(res, undefined, 404, 'Sidebar app not configured', 'This hub has no Help Scout sidebar app configured.', null);
      return;
    }
    framedHeaders(res, capability);
    res.status(200).send(renderPage({ view: 'panel', token: '', assetVersion: assets.version }));
  });

  const asset = (body: Buffer, type: string) => (req: Request, res: Response) => {
    res.set({ 'Content-Type': type, 'Cache-Control': req.query['v'] === assets.version ? 'public, max-age=31536000, immutable' : 'no-cache', 'Content-Length': String(body.length) });
    res.end(body);
  };
  router.get('/sidebar/helpscout/app/app.js', asset(assets.script, 'text/javascript; charset=utf-8'));
  router.get('/sidebar/helpscout/app/app.css', asset(assets.stylesheet, 'text/css; charset=utf-8'));

  router.post('/sidebar/helpscout/app/card', async (req, res) => {
    const capability = app();
    if (!capability) throw new HubError(404, 'not_configured', 'no Help Scout sidebar app is configured (HELPSCOUT_APP_SECRET)');
    const check = readToken(keyOf(capability), bearerToken(req.get('authorization')) ?? undefined);
    if (!check.ok) throw unauthorized(check.reason, 'invalid_card_token');
    const token = check.token;
    const body = await readSmallBody(req, CARD_REQUEST_LIMIT);
    const asked = parseInput(cardRequest, body.length === 0 ? {} : parseJsonBody(body, 'the card request', 'malformed_json'), 'card request', 'invalid_card_request');
    res.set('Cache-Control', 'no-store');

    let customer: SidebarAppCustomer;
    if (token.k === 'panel') {
      customer = { emails: token.e ?? [], name: token.n ?? null };
    } else if (capability.customerOf && token.c !== null) {
      // Help Scout's API says who the conversation's customer is; the page's word is not needed.
      const found = await capability.customerOf(token.c, AbortSignal.timeout(5000)).catch((error: unknown) => {
        req.log?.warn({ err: error }, 'sidebar app: reading the conversation from Help Scout failed');
        return 'failed' as const;
      });
      if (found === 'failed') {
        sendNoStore(res, 200, JSON_TYPE, `${cardJsonStart(noticeCard('Help Scout could not be asked who this conversation’s customer is. Reopen the conversation to try again.'), 'sidebar')}}`);
        return;
      }
      customer = found ?? { emails: [], name: null };
    } else {
      customer = { emails: uniqueAddresses([asked.email, ...(asked.emails ?? [])]), name: asked.name?.trim() || null };
      // One signed page load, one customer: a second, different customer for the same token is
      // refused. Asking with no address (the context did not arrive) binds nothing.
      if (customer.emails.length > 0 && !bindings.bind(token.i, `${customer.emails.join(' ')}\n${customer.name ?? ''}`, token.x)) {
        throw new HubError(403, 'card_token_bound', 'this card token was already used for another customer: reopen the conversation');
      }
    }
    const card = await deps.cards.cardFor({ emails: customer.emails, name: customer.name, details: asked.view === 'panel' });
    const panelToken = token.k === 'page' ? mintPanelToken(keyOf(capability), token, customer) : undefined;
    sendNoStore(res, 200, JSON_TYPE, `${cardJsonStart(card, asked.view)}${panelToken ? `,"panelToken":${JSON.stringify(panelToken)}` : ''}}`);
  });
  return router;
}
