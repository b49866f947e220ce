import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake of Help Scout's conversation page as an App Developer Platform app sees it: a page on
 * another origin that frames the app's Callback URL with a signed query string, answers the JS
 * SDK's `GET_APP_CONTEXT` over postMessage with a context shaped as documented, sizes the iframe
 * on `SET_APP_HEIGHT`, opens and closes the side panel, and records every message the app sent.
 * Real HTTP on 127.0.0.1; a browser test serves it to Chromium as https://secure.helpscout.net
 * (the only origin the SDK talks to) by routing that origin to `url`. See README.md, "Sidebar host".
 */

export const HELPSCOUT_APP_ORIGIN = 'https://secure.helpscout.net';

export interface SidebarHostConversation {
  id: number;
  number: number;
  subject: string;
  mailboxId: number;
  customer: { id: number; firstName: string; lastName: string; email: string };
}

export interface SidebarHostOptions {
  /** The app's Callback URL as configured in Help Scout (its own query parameters are kept and not signed). */
  callbackUrl: string;
  /** The app's Secret Key. */
  secret: string;
  /** The app id Help Scout puts in the iframe's name (`app-<id>`, side panel `app-side-panel-<id>`). */
  appId?: string;
}

export interface HostMessage {
  /** Which frame sent it: the sidebar iframe or the side panel. */
  frame: 'sidebar' | 'panel';
  origin: string;
  type: string;
  value?: unknown;
  appId?: unknown;
  iframeId?: unknown;
}

export interface FakeSidebarHost {
  url: string;
  /** The signed Callback URL for a conversation, as Help Scout would load it (extra pairs may be added or changed). */
  signedUrl(conversation: SidebarHostConversation, options?: { extra?: [string, string][]; secret?: string }): string;
  /**
   * The host page (a path): `?conversation=<id>&width=<sidebar px>`; `setConversation` first.
   * `contextDelayMs`: the host answers the app's first GET_APP_CONTEXT that late (a slow host).
   */
  pagePath(conversationId: number, width?: number, options?: { contextDelayMs?: number }): string;
  setConversation(conversation: SidebarHostConversation): void;
  messages(): HostMessage[];
  close(): Promise<void>;
}

/**
 * Help Scout's guide signs PHP's `json_encode` of the remaining query parameters (in order) with
 * HMAC-SHA1, base64. Written here independently of the hub's implementation: JSON.stringify per
 * pair, then PHP's differences (`\/`, `\uxxxx` for everything above U+007F).
 */
export function phpSignedQuerySignature(secret: string, params: readonly (readonly [string, string])[]): string {
  const json = `{${params.map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value)}`).join(',')}}`
    .replace(/\//g, '\\/')
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return createHmac('sha1', secret).update(json).digest('base64');
}

/**
 * The query Help Scout adds. Only `conversation-id` is named by Help Scout's guide; `mailbox-id`,
 * `conversation-url` (a value with "/") and `mailbox-name` (a non-ASCII name) are assumed, so the
 * signature is exercised the way the notes say a PHP encoder differs from JSON.
 */
function addedParams(conversation: SidebarHostConversation): [string, string][] {
  return [
    ['conversation-id', String(conversation.id)],
    ['mailbox-id', String(conversation.mailboxId)],
    ['conversation-url', `${HELPSCOUT_APP_ORIGIN}/conversation/${conversation.id}/${conversation.number}/`],
    ['mailbox-name', 'Suporte Ação · 日本 😀'],
  ];
}

/** The documented context object (developer.helpscout.com/apps/javascript-sdk/context-object/). */
function contextFor(conversation: SidebarHostConversation, panelOpen: boolean): Record<string, unknown> {
  const { customer } = conversation;
  const emails = [{ id: 1, value: customer.email, default: true }];
  return {
    company: { id: 7001 },
    conversation: {
      id: conversation.id,
      number: conversation.number,
      subject: conversation.subject,
      status: 'active',
      mailboxId: conversation.mailboxId,
      customerId: customer.id,
      customers: [{ id: customer.id, firstName: customer.firstName, lastName: customer.lastName, emails }],
      assignee: { id: 501, first: 'Agent', last: 'Smith', type: 'user', email: 'agent@acme.example' },
      customFields: [],
      following: false,
      tags: [{ id: 1, tag: 'billing' }],
    },
    customer: {
      id: customer.id,
      firstName: customer.firstName,
      lastName: customer.lastName,
      emails: emails.map(({ id, value }) => ({ id, value })),
      phones: [],
      photoUrl: '',
      conversationCount: 3,
      note: '',
      properties: [],
      socialProfiles: [],
      websites: [],
    },
    mailbox: { id: conversation.mailboxId, name: 'Support', email: 'support@acme.example' },
    user: { id: 501, firstName: 'Agent', lastName: 'Smith', email: 'agent@acme.example', initials: 'AS', photoUrl: '', isAdmin: false },
    uiState: { isSidePanelOpen: panelOpen },
  };
}

// The host page's script: no framework, as little as the SDK needs from its parent.
const HOST_SCRIPT = `(() => {
  const data = JSON.parse(document.getElementById('host-data').textContent);
  const sidebar = document.getElementById('app-frame');
  const panelBox = document.getElementById('side-panel');
  const appOrigin = new URL(data.src).origin;
  let panel = null;
  const frameOf = (source) => (panel && source === panel.contentWindow ? 'panel' : source === sidebar.contentWindow ? 'sidebar' : null);
  const context = (open) => ({ type: 'SEND_APP_CONTEXT', ...data.context, uiState: { isSidePanelOpen: open } });
  window.addEventListener('message', (event) => {
    const frame = frameOf(event.source);
    if (!frame || event.origin !== appOrigin || !event.data || typeof event.data.type !== 'string') return;
    const message = { frame, origin: event.origin, type: event.data.type, value: event.data.value, appId: event.data.appId, iframeId: event.data.iframeId };
    fetch('/record', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(message) });
    switch (event.data.type) {
      case 'GET_APP_CONTEXT': {
        const source = event.source;
        const answer = () => source.postMessage(context(panel !== null), event.origin);
        if (data.contextDelayMs > 0) setTimeout(answer, data.contextDelayMs);
        else answer();
        data.contextDelayMs = 0;
        break;
      }
      case 'SET_APP_HEIGHT':
        if (frame === 'sidebar' && typeof event.data.value === 'number') sidebar.style.height = event.data.value + 'px';
        break;
      case 'OPEN_SIDE_PANEL':
        if (typeof event.data.value !== 'string' || new URL(event.data.value).origin !== appOrigin) break;
        panel = document.createElement('iframe');
        panel.name = 'app-side-panel-' + data.appId;
        panel.referrerPolicy = 'origin';
        panel.title = 'Support Hub side panel';
        panel.src = event.data.value;
        panelBox.replaceChildren(panel);
        panelBox.hidden = false;
        sidebar.contentWindow.postMessage(context(true), appOrigin);
        break;
      case 'CLOSE_SIDE_PANEL':
        panelBox.replaceChildren();
        panelBox.hidden = true;
        panel = null;
        break;
    }
  });
  sidebar.src = data.src;
})();`;
// referrerpolicy="origin" on the frames: the SDK posts to document.referrer and refuses to talk
// without it, and a browser sends none from https (this host) to http (the hub on loopback in
// tests) under the default policy. Help Scout frames https apps, where the default sends it.

const HOST_CSS = `body { margin: 0; font: 13px/1.4 sans-serif; background: #f1f3f5; color: #314351; }
main { display: flex; min-height: 100vh; }
.conversation { flex: 1 1 auto; min-width: 0; padding: 16px; }
.sidebar { flex: 0 0 auto; background: #fff; border-left: 1px solid #d6dde3; }
.sidebar iframe { display: block; border: 0; height: 150px; }
#side-panel { position: fixed; top: 0; right: 0; bottom: 0; width: min(640px, 100vw); background: #fff; border-left: 1px solid #d6dde3; box-shadow: -4px 0 16px rgba(0,0,0,.1); }
#side-panel[hidden] { display: none; }
#side-panel iframe { border: 0; width: 100%; height: 100%; }`;

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startFakeSidebarHost(options: SidebarHostOptions): Promise<FakeSidebarHost> {
  const appId = options.appId ?? '4242';
  const conversations = new Map<number, SidebarHostConversation>();
  const recorded: HostMessage[] = [];

  function signedUrl(conversation: SidebarHostConversation, extra: { extra?: [string, string][]; secret?: string } = {}): string {
    const url = new URL(options.callbackUrl);
    const params = [...addedParams(conversation), ...(extra.extra ?? [])];
    for (const [name, value] of params) url.searchParams.append(name, value);
    url.searchParams.append('X-HelpScout-Signature', phpSignedQuerySignature(extra.secret ?? options.secret, params));
    return url.toString();
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://host');
    if (req.method === 'POST' && url.pathname === '/record') {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      recorded.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as HostMessage);
      res.writeHead(204).end();
      return;
    }
    if (url.pathname === '/host.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(HOST_SCRIPT);
      return;
    }
    if (url.pathname === '/host.css') {
      res.writeHead(200, { 'content-type': 'text/css; charset=utf-8' }).end(HOST_CSS);
      return;
    }
    const conversation = conversations.get(Number(url.searchParams.get('conversation')));
    if (url.pathname !== '/conversation' || !conversation) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no such conversation in the fake host');
      return;
    }
    const width = Math.max(200, Math.min(800, Number(url.searchParams.get('width')) || 300));
    // Data for the host script as JSON in a non-executable script element; `<` escaped so a name cannot end it.
    const contextDelayMs = Math.max(0, Math.min(60_000, Number(url.searchParams.get('contextDelay')) || 0));
    const data = JSON.stringify({ src: signedUrl(conversation), appId, context: contextFor(conversation, false), contextDelayMs }).replace(/</g, '\\u003c');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Conversation #${conversation.number} · Help Scout (fake)</title><link rel="stylesheet" href="/host.css"></head>
<body><main><section class="conversation"><h1>${escapeHtml(conversation.subject)}</h1><p>Thread of the conversation.</p></section>
<aside class="sidebar" style="width:${width}px"><iframe id="app-frame" name="app-${appId}" title="Support Hub" referrerpolicy="origin" style="width:${width}px"></iframe></aside></main>
<div id="side-panel" hidden></div>
<script type="application/json" id="host-data">${data}</script><script src="/host.js"></script></body></html>`);
  }

  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    signedUrl,
    pagePath: (conversationId, width = 300, options = {}) => `/conversation?conversation=${conversationId}&width=${width}${options.contextDelayMs ? `&contextDelay=${options.contextDelayMs}` : ''}`,
    setConversation: (conversation) => void conversations.set(conversation.id, conversation),
    messages: () => [...recorded],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
