/// <reference lib="dom" />
/**
 * The script of Support Hub's Help Scout sidebar app (GET /sidebar/helpscout/app and its side
 * panel), bundled by build.ts with Help Scout's published JS SDK, which speaks Help Scout's
 * postMessage protocol (GET_APP_CONTEXT, SET_APP_HEIGHT, OPEN_SIDE_PANEL; it only answers
 * https://secure.helpscout.net). Card data comes only from the hub, with the token the verified
 * page load minted; the card HTML was escaped by the hub's template and runs no script (the page's
 * CSP allows scripts from the hub only).
 */
import * as sdk from '@helpscout/javascript-sdk';
import type { Context } from '@helpscout/javascript-sdk';

interface HelpScoutSdk {
  getApplicationContext(): Promise<Context>;
  watchApplicationContext(callback: (context: Context) => void): void;
  setAppHeight(height: number): void;
  getAppStyles(): Promise<string>;
  openSidePanel(contentUrl: string): void;
  closeSidePanel(): void;
}

// The package ships CommonJS (`main`) and ESM (`module`) without `exports`: TypeScript reads the
// CommonJS default (the module object), esbuild bundles the ESM default (the instance).
const moduleDefault = (sdk as unknown as { default: HelpScoutSdk | { default: HelpScoutSdk } }).default;
const HelpScout: HelpScoutSdk = 'default' in moduleDefault ? moduleDefault.default : moduleDefault;

/** How long to wait for Help Scout's context before asking the hub without it. */
const CONTEXT_WAIT_MS = 3000;
/** The hub answers within its card budget; past this the page says so instead of loading forever. */
const CARD_WAIT_MS = 15_000;
const CARD_URL = '/sidebar/helpscout/app/card';
const PANEL_URL = '/sidebar/helpscout/app/panel';

interface CardAnswer {
  html: string;
  panelToken?: string;
}

const main = document.getElementById('hub-card')!;
const view = document.body.dataset['view'] === 'panel' ? 'panel' : 'sidebar';

function say(text: string): void {
  const p = document.createElement('p');
  p.className = 'hub-notice';
  p.textContent = text;
  main.replaceChildren(p);
  main.setAttribute('aria-busy', 'false');
  reportHeight();
}

let lastHeight = 0;
function reportHeight(): void {
  const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
  if (height === lastHeight) return;
  lastHeight = height;
  if (view === 'sidebar') HelpScout.setAppHeight(height);
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | null> {
  return Promise.race([work, new Promise<null>((resolve) => setTimeout(() => resolve(null), ms))]);
}

/** The customer as Help Scout's context names them (customer, else the conversation's first customer). */
function customerFrom(context: Context | null): { email: string | null; emails: string[]; name: string | null } {
  const customer = context?.customer ?? context?.conversation?.customers?.[0];
  const emails = (customer?.emails ?? []).map((e) => e.value).filter((v): v is string => typeof v === 'string');
  const name = [customer?.firstName, customer?.lastName].filter(Boolean).join(' ').trim();
  return { email: emails[0] ?? null, emails, name: name || null };
}

async function askCard(token: string, body: Record<string, unknown>): Promise<CardAnswer | string> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), CARD_WAIT_MS);
  try {
    const response = await fetch(CARD_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
      signal: controller.signal,
      credentials: 'omit',
    });
    const answer = (await response.json().catch(() => null)) as (CardAnswer & { error?: { message?: string } }) | null;
    if (!response.ok || !answer || typeof answer.html !== 'string') return answer?.error?.message ?? `Support Hub answered ${response.status}.`;
    return answer;
  } catch {
    return 'Support Hub did not answer in time. Reopen the conversation to try again.';
  } finally {
    clearTimeout(timer);
  }
}

function show(html: string): void {
  // The hub's template escaped every value; this markup carries no script and the CSP runs none.
  main.innerHTML = html;
  main.setAttribute('aria-busy', 'false');
  reportHeight();
}

/** Help Scout's own styles for apps, when it hands them out; applied without inline <style>. */
async function adoptHelpScoutStyles(): Promise<void> {
  const styles = await withTimeout(HelpScout.getAppStyles(), CONTEXT_WAIT_MS).catch(() => null);
  if (typeof styles !== 'string' || styles.trim() === '' || !('adoptedStyleSheets' in document)) return;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(styles);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  reportHeight();
}

let panelUrl: string | null = null;

async function sidebarCard(token: string, customer: ReturnType<typeof customerFrom>): Promise<void> {
  const answer = await askCard(token, { view: 'sidebar', ...customer });
  if (typeof answer === 'string') return say(answer);
  show(answer.html);
  const open = document.getElementById('hub-open-panel');
  if (open && answer.panelToken) {
    if (panelUrl === null) open.addEventListener('click', () => panelUrl && HelpScout.openSidePanel(panelUrl));
    panelUrl = new URL(`${PANEL_URL}#${answer.panelToken}`, location.href).toString();
    open.hidden = false;
    reportHeight();
  }
}

async function sidebar(): Promise<void> {
  const token = document.querySelector<HTMLMetaElement>('meta[name="hub-card-token"]')?.content;
  if (!token) return say('This page was opened without a card token. Open it from Help Scout.');
  const customer = customerFrom(await withTimeout(HelpScout.getApplicationContext(), CONTEXT_WAIT_MS).catch(() => null));
  if (customer.emails.length > 0) return sidebarCard(token, customer);
  // No customer yet: the context is late or names nobody. Say so now, and ask again as soon as
  // Help Scout sends a context that names one (the hub binds a token to a customer only when one
  // is named, so this first ask used nothing up).
  let waiting = true;
  let shown = Promise.resolve();
  HelpScout.watchApplicationContext((context) => {
    const late = customerFrom(context);
    if (!waiting || late.emails.length === 0) return;
    waiting = false;
    // After the first answer, so the notice cannot land on top of the card.
    shown = shown.then(() => sidebarCard(token, late));
  });
  shown = sidebarCard(token, customer);
  await shown;
}

async function panel(): Promise<void> {
  document.getElementById('hub-close-panel')?.addEventListener('click', () => HelpScout.closeSidePanel());
  const token = location.hash.slice(1);
  if (!token) return say('Open the full view from the Support Hub card in the sidebar.');
  const answer = await askCard(token, { view: 'panel' });
  if (typeof answer === 'string') return say(answer);
  show(answer.html);
}

new ResizeObserver(() => reportHeight()).observe(document.body);
void adoptHelpScoutStyles();
void (view === 'panel' ? panel() : sidebar());
