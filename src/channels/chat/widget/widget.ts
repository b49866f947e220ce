/// <reference lib="dom" />
/**
 * The embeddable chat widget: `<script src="https://hub.example/widget/hub-widget.js"
 * data-app-id="…" async></script>` adds a chat bubble and a conversation panel to any page.
 * Plain DOM in a Shadow DOM (the page's CSS stays out), text only through textContent (messages
 * are untrusted), styles through a constructed stylesheet (allowed under a CSP without
 * 'unsafe-inline'). Bundled by build.ts.
 */
import { collectDeviceContext } from '../client/device.js';
import {
  HubApiError,
  HubClient,
  newClientId,
  type Availability,
  type ChatStream,
  type IncidentBanner,
  type Conversation,
  type KeyValueStorage,
  type Message,
  type SessionRequest,
} from '../client/v1-client.js';

declare const __HUB_WIDGET_VERSION__: string;
/** The hub's default longest message (CHAT_MAX_MESSAGE_LENGTH); a longer text is refused here, never cut. */
const MAX_MESSAGE_LENGTH = 10_000;
/** Replaced by build.ts with the package version and a hash of the sources. */
export const WIDGET_VERSION = typeof __HUB_WIDGET_VERSION__ === 'string' ? __HUB_WIDGET_VERSION__ : 'dev';

/**
 * What a page may set before the script: `window.SupportHub = { identityToken }` (recommended: a
 * JWT from the product's server) or `{ user: { id, email, name }, userHash }` (proves the id only).
 */
export interface SupportHubPageConfig {
  identityToken?: string;
  user?: { id: string; email?: string | null; name?: string | null };
  userHash?: string;
}

declare global {
  interface Window {
    SupportHub?: SupportHubPageConfig;
    __supportHubWidget?: boolean;
  }
}

interface WidgetConfig {
  appId: string;
  hubUrl: string;
  appVersion: string | null;
  title: string;
  accent: string | null;
}

const STYLES = `
:host { all: initial; }
.root { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1c1e21; --accent: #2f6fed; }
button, textarea { font: inherit; }
.bubble { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; width: 56px; height: 56px; border: 0;
  border-radius: 50%; background: var(--accent); color: #fff; cursor: pointer; box-shadow: 0 4px 14px rgba(0,0,0,.25);
  display: flex; align-items: center; justify-content: center; padding: 0; }
.bubble svg { width: 28px; height: 28px; fill: currentColor; }
.badge { position: absolute; top: -4px; right: -4px; min-width: 20px; height: 20px; padding: 0 5px; box-sizing: border-box;
  border-radius: 10px; background: #c5221f; color: #fff; font-size: 12px; line-height: 20px; text-align: center; }
.badge[hidden], .panel[hidden] { display: none; }
.panel { position: fixed; right: 20px; bottom: 88px; z-index: 2147483000; width: 360px; max-width: calc(100vw - 40px);
  height: 520px; max-height: calc(100vh - 120px); display: flex; flex-direction: column; background: #fff;
  border-radius: 12px; box-shadow: 0 8px 30px rgba(0,0,0,.3); overflow: hidden; }
header { position: relative; padding: 12px 48px 12px 16px; background: var(--accent); color: #fff; }
h2 { margin: 0; font-size: 16px; font-weight: 600; }
.availability { margin: 4px 0 0; font-size: 13px; }
.availability:empty { display: none; }
.availability.away { font-weight: 600; }
.incident { margin: 0; padding: 10px 16px; background: #fff4e5; color: #4a2c00; border-bottom: 1px solid #f0c36d; font-size: 13px; }
.incident[hidden] { display: none; }
.incident strong { display: block; font-size: 14px; }
.incident p { margin: 2px 0 0; overflow-wrap: anywhere; }
.incident .since { font-size: 12px; color: #5c3b00; }
.close { position: absolute; top: 8px; right: 8px; width: 32px; height: 32px; border: 0; border-radius: 6px;
  background: transparent; color: #fff; font-size: 22px; line-height: 1; cursor: pointer; }
.messages { flex: 1; margin: 0; padding: 12px; list-style: none; overflow-y: auto; display: flex;
  flex-direction: column; gap: 8px; background: #f5f6f8; }
.empty { margin: auto 0; color: #57606a; text-align: center; }
.msg { max-width: 80%; padding: 8px 12px; border-radius: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
.msg.customer { align-self: flex-end; background: var(--accent); color: #fff; }
.msg.agent, .msg.system { align-self: flex-start; background: #fff; border: 1px solid #e1e4e8; }
.msg.pending { opacity: .7; }
.author { display: block; font-size: 12px; font-weight: 600; margin-bottom: 2px; }
.meta { display: block; font-size: 11px; opacity: .8; margin-top: 2px; }
.msg a { color: inherit; }
.retry { margin-left: 6px; padding: 0 6px; border: 1px solid currentColor; border-radius: 4px; background: transparent;
  color: inherit; font-size: 11px; cursor: pointer; }
.status { margin: 0; padding: 4px 12px; font-size: 12px; color: #57606a; background: #fff; }
.status:empty { display: none; }
.length { margin: 0; padding: 4px 12px; font-size: 12px; color: #57606a; background: #fff; }
.length:empty { display: none; }
.length.over { color: #b3261e; font-weight: 600; }
.send[aria-disabled="true"] { opacity: .5; cursor: not-allowed; }
form { display: flex; gap: 8px; padding: 8px; border-top: 1px solid #e1e4e8; background: #fff; }
textarea { flex: 1; min-height: 20px; max-height: 120px; padding: 8px; border: 1px solid #8c959f; border-radius: 8px; resize: none; }
.send { padding: 0 14px; border: 0; border-radius: 8px; background: var(--accent); color: #fff; font-weight: 600; cursor: pointer; }
button:focus-visible, textarea:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

/** Element factory: text goes in through textContent only. */
function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, value);
  for (const child of children) element.append(typeof child === 'string' ? document.createTextNode(child) : child);
  return element;
}

function chatIcon(): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-5 4V5a2 2 0 0 1 2-2z');
  svg.append(path);
  return svg;
}

/** The DOM of the widget; knows nothing about the API. */
class WidgetView {
  readonly host = el('div', { id: 'support-hub-widget' });
  readonly bubble = el('button', { type: 'button', class: 'bubble', 'aria-label': 'Open chat', 'aria-expanded': 'false', 'aria-controls': 'hub-panel' });
  readonly badge = el('span', { class: 'badge', hidden: '' });
  readonly panel = el('div', { id: 'hub-panel', class: 'panel', role: 'dialog', 'aria-labelledby': 'hub-title', hidden: '' });
  readonly availability = el('p', { class: 'availability' });
  readonly closeButton = el('button', { type: 'button', class: 'close', 'aria-label': 'Close chat' }, '×');
  /** The status banner of an open incident, above the messages: read before anyone writes. */
  readonly incident = el('section', { class: 'incident', role: 'status', 'aria-label': 'Known problem', hidden: '' });
  readonly list = el('ol', { class: 'messages', 'aria-label': 'Messages', 'aria-live': 'polite' });
  readonly status = el('p', { class: 'status', role: 'status' });
  // No maxlength: the browser would cut a long paste silently. The count below says so instead.
  readonly input = el('textarea', { id: 'hub-input', rows: '2', placeholder: 'Write a message…', 'aria-describedby': 'hub-length' });
  readonly length = el('p', { id: 'hub-length', class: 'length', 'aria-live': 'polite' });
  readonly sendButton = el('button', { type: 'submit', class: 'send' }, 'Send');
  readonly form = el('form', {}, el('label', { for: 'hub-input', class: 'visually-hidden' }, 'Your message'), this.input, this.sendButton);
  private readonly empty = el('li', { class: 'empty' }, 'Ask us anything. We are happy to help.');

  constructor(config: WidgetConfig) {
    const root = el('div', { class: 'root' });
    if (config.accent) root.style.setProperty('--accent', config.accent);
    this.bubble.append(chatIcon(), this.badge);
    this.panel.append(el('header', {}, el('h2', { id: 'hub-title' }, config.title), this.availability, this.closeButton), this.incident, this.list, this.status, this.length, this.form);
    root.append(this.panel, this.bubble);
    const shadow = this.host.attachShadow({ mode: 'open' });
    if ('adoptedStyleSheets' in shadow && typeof CSSStyleSheet.prototype.replaceSync === 'function') {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(STYLES);
      shadow.adoptedStyleSheets = [sheet];
    } else {
      // Older Safari: a <style> element works unless the page's CSP forbids inline styles.
      shadow.append(el('style', {}, STYLES));
    }
    shadow.append(root);
    this.list.append(this.empty);
  }

  get isOpen(): boolean {
    return !this.panel.hidden;
  }

  setOpen(open: boolean): void {
    this.panel.hidden = !open;
    this.bubble.setAttribute('aria-expanded', String(open));
    this.bubble.setAttribute('aria-label', open ? 'Close chat' : 'Open chat');
    if (open) this.setUnread(0);
  }

  setUnread(count: number): void {
    this.badge.hidden = count === 0;
    this.badge.textContent = count > 9 ? '9+' : String(count);
    if (!this.isOpen) this.bubble.setAttribute('aria-label', count ? `Open chat (${count} unread)` : 'Open chat');
  }

  /** The hub's own wording ("Usually replies within about 3 hours", or when it is back). */
  setAvailability(availability: Availability): void {
    this.availability.textContent = availability.expected_reply.text;
    this.availability.classList.toggle('away', availability.status === 'away');
  }

  /** The incident banner, or none; times in the visitor's own zone ("Since 2:02 PM, your time"). */
  setIncident(incident: IncidentBanner | null): void {
    this.incident.hidden = incident === null;
    if (!incident) {
      this.incident.replaceChildren();
      return;
    }
    const since = formatWhen(incident.since);
    const updated = formatWhen(incident.updated_at);
    this.incident.replaceChildren(
      el('strong', {}, incident.title),
      el('p', {}, incident.message),
      el('p', { class: 'since' }, `Since ${since}, your time${updated && updated !== since ? ` · updated ${updated}` : ''}`),
    );
  }

  /**
   * The conversation's own promise once it has one ("We'll reply within about an hour"), then
   * "Answered at 11:42 PM"; nothing while neither exists yet (the availability notice promised
   * nothing to this conversation).
   */
  setConversationReply(reply: NonNullable<Conversation['first_reply']>): void {
    this.availability.classList.remove('away');
    this.availability.textContent = reply.answered_at ? `Answered at ${formatTime(reply.answered_at)}` : (reply.promise ?? '');
  }

  /**
   * How long the draft is, once that matters: near the limit a count, past it a notice — and
   * sending is refused, so nothing is ever cut off. Returns whether the draft may be sent.
   */
  showLength(length: number, max: number): boolean {
    const over = length > max;
    this.length.classList.toggle('over', over);
    this.length.textContent = over
      ? `Too long to send: ${length.toLocaleString()} characters, at most ${max.toLocaleString()}. Shorten it, or send it in parts.`
      : length > max * 0.9
        ? `${length.toLocaleString()} of ${max.toLocaleString()} characters`
        : '';
    this.sendButton.setAttribute('aria-disabled', String(over));
    return !over;
  }

  setStatus(text: string): void {
    this.status.textContent = text;
  }

  clearMessages(): void {
    for (const item of [...this.list.querySelectorAll('li.msg:not(.pending)')]) item.remove();
    this.updateEmpty();
  }

  /** Places a message by creation time; optimistic (pending) ones stay last. */
  renderMessage(message: Message, replacing: HTMLLIElement | null): HTMLLIElement {
    const item = el('li', { class: `msg ${message.author.kind}`, 'data-id': message.id, 'data-created': message.created_at });
    if (message.author.kind !== 'customer') item.append(el('span', { class: 'author' }, message.author.name ?? (message.author.kind === 'agent' ? 'Support' : 'Notice')));
    item.append(el('span', { class: 'text' }, message.text));
    for (const attachment of message.attachments) {
      item.append(document.createElement('br'));
      // Only web links: a `javascript:` URL from a hostile message must not become clickable.
      if (/^https?:\/\//i.test(attachment.url)) item.append(el('a', { href: attachment.url, target: '_blank', rel: 'noopener noreferrer' }, `📎 ${attachment.filename}`));
      else item.append(`📎 ${attachment.filename}`);
    }
    item.append(el('time', { class: 'meta', datetime: message.created_at }, formatTime(message.created_at)));
    replacing?.remove();
    let before: Element | null = null;
    for (const other of this.list.querySelectorAll('li.msg')) {
      const created = other.getAttribute('data-created');
      if (other.classList.contains('pending') || (created !== null && created > message.created_at)) {
        before = other;
        break;
      }
    }
    this.list.insertBefore(item, before);
    this.updateEmpty();
    this.scrollToEnd();
    return item;
  }

  renderPending(text: string): HTMLLIElement {
    const item = el('li', { class: 'msg customer pending' }, el('span', { class: 'text' }, text), el('span', { class: 'meta' }, 'Sending…'));
    this.list.append(item);
    this.updateEmpty();
    this.scrollToEnd();
    return item;
  }

  markFailed(item: HTMLLIElement, reason: string, retry: () => void): void {
    const meta = item.querySelector('.meta');
    const button = el('button', { type: 'button', class: 'retry' }, 'Retry');
    button.addEventListener('click', retry, { once: true });
    meta?.replaceChildren(`Not sent: ${reason}`, button);
  }

  markSending(item: HTMLLIElement): void {
    item.querySelector('.meta')?.replaceChildren('Sending…');
  }

  private updateEmpty(): void {
    const hasMessages = this.list.querySelector('li.msg') !== null;
    if (hasMessages) this.empty.remove();
    else if (!this.empty.isConnected) this.list.append(this.empty);
  }

  private scrollToEnd(): void {
    this.list.scrollTop = this.list.scrollHeight;
  }
}

/** Session, conversation and stream; renders through WidgetView. */
class ChatWidget {
  private readonly client: HubClient;
  private readonly view: WidgetView;
  private conversationId: string | null = null;
  private conversationClosed = false;
  private readonly shown = new Map<string, HTMLLIElement>();
  private readonly pending = new Map<string, HTMLLIElement>();
  private stream: ChatStream | null = null;
  private connecting: Promise<boolean> | null = null;
  private connectError: unknown = null;
  private cursor: string | null = null;
  private unread = 0;
  private availabilityAt = 0;
  private readTimer: ReturnType<typeof setTimeout> | null = null;
  private userId: string | null = null;
  /** The current conversation's promise and answer, once the customer has written (null: the availability notice shows). */
  private firstReply: NonNullable<Conversation['first_reply']> | null = null;
  private availabilityNotice: Availability | null = null;
  /** Incidents whose banner this visitor was shown and the hub was told about (once each). */
  private readonly incidentsReported = new Set<string>();

  constructor(
    private readonly config: WidgetConfig,
    private readonly sessionRequest: SessionRequest,
  ) {
    this.view = new WidgetView(config);
    this.client = new HubClient({
      baseUrl: config.hubUrl,
      appId: config.appId,
      storage: browserStorage(),
      onSessionChange: (session) => {
        // A renewed anonymous session is a new visitor: what was shown belongs to the old one.
        if (session && this.userId && session.user.id !== this.userId) this.resetConversation();
        if (session) this.userId = session.user.id;
      },
    });
  }

  async start(): Promise<void> {
    document.body.append(this.view.host);
    this.bindEvents();
    void this.refreshAvailability();
    // A returning visitor's stream starts at once, so replies arrive live and count as unread.
    const stored = await this.client.restoreSession().catch(() => null);
    if (stored) void this.ensureConnected();
  }

  private bindEvents(): void {
    const { view } = this;
    view.bubble.addEventListener('click', () => (view.isOpen ? this.close() : this.open()));
    view.closeButton.addEventListener('click', () => this.close());
    view.panel.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.close();
    });
    const submit = () => {
      const text = view.input.value.trim();
      if (!text || !view.showLength(text.length, MAX_MESSAGE_LENGTH)) return;
      view.input.value = '';
      view.showLength(0, MAX_MESSAGE_LENGTH);
      void this.send(text, newClientId());
    };
    view.input.addEventListener('input', () => view.showLength(view.input.value.trim().length, MAX_MESSAGE_LENGTH));
    view.input.addEventListener('keydown', (event) => {
      // Enter sends, Shift+Enter is a new line; never while an IME is composing.
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submit();
      }
    });
    view.form.addEventListener('submit', (event) => {
      event.preventDefault();
      submit();
    });
    window.addEventListener('online', () => this.stream?.reconnectNow());
  }

  open(): void {
    this.view.setOpen(true);
    this.unread = 0;
    this.view.input.focus();
    // While a banner shows, every opening asks again: it may be resolved or updated since.
    if (this.availabilityNotice?.incident || Date.now() - this.availabilityAt > 5 * 60_000) void this.refreshAvailability();
    void this.ensureConnected().then(() => {
      this.scheduleMarkRead();
      this.reportIncidentSeen();
    });
  }

  close(): void {
    this.view.setOpen(false);
    this.view.bubble.focus();
  }

  private async refreshAvailability(): Promise<void> {
    try {
      this.availabilityNotice = await this.client.getAvailability({ timeZone: visitorTimeZone() });
      this.availabilityAt = Date.now();
      this.showReplyTime();
      this.view.setIncident(this.availabilityNotice.incident ?? null);
      this.reportIncidentSeen();
    } catch {
      // Without availability the panel simply shows no promise about reply times.
    }
  }

  /**
   * Seen means shown in an open panel to a visitor with a session: then the hub counts them once
   * for the incident (did they write anyway, or did the banner answer them?).
   */
  private reportIncidentSeen(): void {
    const incident = this.availabilityNotice?.incident;
    if (!incident || !this.view.isOpen || this.connecting === null || this.incidentsReported.has(incident.id)) return;
    this.incidentsReported.add(incident.id);
    void this.connecting.then((connected) => {
      if (!connected) {
        this.incidentsReported.delete(incident.id);
        return;
      }
      // Only counting: a failure is forgotten, to be tried at the next opening.
      this.client.reportIncidentView(incident.id).catch(() => this.incidentsReported.delete(incident.id));
    });
  }

  /** One promise in the header: the conversation's once there is one, else (not written yet) the availability notice. */
  private showReplyTime(): void {
    if (this.firstReply && this.conversationId !== null && !this.conversationClosed) this.view.setConversationReply(this.firstReply);
    else if (this.availabilityNotice) this.view.setAvailability(this.availabilityNotice);
  }

  /** A conversation object from the API: its promise (servers older than `first_reply` leave the notice). */
  private takeConversation(conversation: Conversation): void {
    if (conversation.id !== this.conversationId) return;
    this.conversationClosed = conversation.status === 'closed';
    if (conversation.first_reply) this.firstReply = conversation.first_reply;
    this.showReplyTime();
  }

  /** Session → current conversation → live stream; once, and tried again on the next call after a failure. */
  private ensureConnected(): Promise<boolean> {
    this.connecting ??= this.connect().then(
      () => true,
      (error: unknown) => {
        this.connecting = null;
        this.connectError = error;
        this.view.setStatus(describeError(error));
        return false;
      },
    );
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const session = await this.client.ensureSession(this.sessionRequest);
    this.userId = session.user.id;
    await this.loadCurrentConversation();
    this.view.setStatus('');
    this.stream = this.client.connect({
      cursor: this.cursor,
      onMessage: (message) => this.onLiveMessage(message),
      // Closed by the team: the customer's next message starts a new conversation.
      onConversation: (conversation) => this.takeConversation(conversation),
      onStateChange: (state, detail) => {
        if (state === 'open') this.view.setStatus('');
        else if (state === 'reconnecting' && (detail.retryInMs ?? 0) > 0) this.view.setStatus('Connection lost. Reconnecting…');
        else if (state === 'closed' && detail.reason) this.view.setStatus('Chat disconnected. Reload the page to continue.');
      },
    });
  }

  /** The newest conversation (the API lists newest first) with all its messages. */
  private async loadCurrentConversation(): Promise<void> {
    const conversations = await this.client.listConversations();
    const current = conversations[0];
    if (!current) return;
    await this.showConversation(current.id, current.status === 'closed');
    this.takeConversation(current);
    if (!this.view.isOpen) this.view.setUnread((this.unread = current.unread_count));
  }

  private async showConversation(conversationId: string, closed: boolean): Promise<void> {
    if (conversationId !== this.conversationId) this.firstReply = null;
    this.conversationId = conversationId;
    this.conversationClosed = closed;
    this.view.clearMessages();
    this.shown.clear();
    let after: string | null = null;
    for (let page = 0; page < 50; page++) {
      const result = await this.client.listMessages(conversationId, { after, limit: 100 });
      for (const message of result.messages) this.show(message);
      after = result.cursor ?? after;
      if (!result.has_more || !result.cursor) break;
    }
    // Cursors are global for the user: the stream resumes right after what was just loaded.
    if (after) this.cursor = after;
  }

  private onLiveMessage(message: Message): void {
    this.cursor = message.cursor;
    if (message.conversation_id !== this.conversationId) {
      // A new conversation (started in another tab, or by the team): it becomes the current one.
      if (this.conversationId !== null && message.direction !== 'outbound') return;
      void this.showConversation(message.conversation_id, false)
        .then(() => this.refreshConversation())
        .catch(() => {});
    } else {
      if (message.direction === 'outbound') this.conversationClosed = false;
      this.show(message);
      this.replyTimeAfter(message);
    }
    if (message.direction === 'outbound') {
      if (this.view.isOpen) this.scheduleMarkRead();
      else this.view.setUnread(++this.unread);
    }
  }

  /** An agent's reply answers the promise at once; the team's own message (the acknowledgement) brings one. */
  private replyTimeAfter(message: Message): void {
    if (message.author.kind === 'agent' && !this.firstReply?.answered_at) {
      this.firstReply = { promise: this.firstReply?.promise ?? null, due_at: this.firstReply?.due_at ?? null, answered_at: message.created_at };
      this.showReplyTime();
    } else if (message.author.kind === 'system') {
      void this.refreshConversation();
    }
  }

  private async refreshConversation(): Promise<void> {
    if (!this.conversationId) return;
    try {
      this.takeConversation(await this.client.getConversation(this.conversationId));
    } catch {
      // The header keeps what it showed; the next message tries again.
    }
  }

  private show(message: Message): void {
    if (this.shown.has(message.id)) return;
    const pending = message.client_id ? (this.pending.get(message.client_id) ?? null) : null;
    if (message.client_id) this.pending.delete(message.client_id);
    this.shown.set(message.id, this.view.renderMessage(message, pending));
  }

  private async send(text: string, clientId: string): Promise<void> {
    const item = this.pending.get(clientId) ?? this.view.renderPending(text);
    this.pending.set(clientId, item);
    this.view.markSending(item);
    try {
      if (!(await this.ensureConnected())) throw this.connectError;
      if (this.conversationId === null || this.conversationClosed) {
        const started = await this.client.createConversation({ text, clientId });
        if (this.conversationId !== started.conversation.id) {
          this.conversationId = started.conversation.id;
          this.conversationClosed = false;
          this.firstReply = null;
          this.view.clearMessages();
          this.shown.clear();
        }
        this.show(started.message);
        // Written: the availability notice no longer speaks for this customer; the acknowledgement will.
        // (The acknowledgement may have come over the stream first: what it brought is kept.)
        const told = started.conversation.first_reply;
        this.firstReply = told && (told.promise || told.answered_at) ? told : (this.firstReply ?? { promise: null, due_at: null, answered_at: null });
        this.showReplyTime();
      } else {
        this.show(await this.client.sendMessage(this.conversationId, { text, clientId }));
      }
      this.view.setStatus('');
    } catch (error) {
      if (!this.pending.has(clientId)) return; // the stream delivered it meanwhile
      this.view.markFailed(item, describeError(error), () => void this.send(text, clientId));
    }
  }

  private scheduleMarkRead(): void {
    if (this.readTimer) clearTimeout(this.readTimer);
    this.readTimer = setTimeout(() => {
      if (this.conversationId && this.view.isOpen) void this.client.markRead(this.conversationId, this.cursor).catch(() => {});
    }, 500);
  }

  private resetConversation(): void {
    this.conversationId = null;
    this.firstReply = null;
    this.showReplyTime();
    this.cursor = null;
    this.shown.clear();
    this.view.clearMessages();
  }
}

function describeError(error: unknown): string {
  if (error instanceof HubApiError) {
    if (error.status === 429) return `too many messages, try again in ${error.retryAfterSeconds ?? 30} s`;
    if (error.isNetworkError) return 'no connection';
    return error.message;
  }
  return 'something went wrong';
}

function visitorTimeZone(): string | null {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** A time today ("2:02 PM"), or with its day when it was not today ("Mon 11:40 PM"): a banner can outlive midnight. */
function formatWhen(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const today = new Date().toDateString() === date.toDateString();
  return date.toLocaleString(undefined, today ? { hour: 'numeric', minute: '2-digit' } : { weekday: 'short', hour: 'numeric', minute: '2-digit' });
}

function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
}

/** localStorage when the page allows it (sandboxed frames and some privacy modes throw). */
function browserStorage(): KeyValueStorage {
  const memory = new Map<string, string>();
  let local: Storage | null = null;
  try {
    local = window.localStorage;
  } catch {
    local = null;
  }
  return {
    get: (key) => {
      try {
        return local ? local.getItem(key) : (memory.get(key) ?? null);
      } catch {
        return memory.get(key) ?? null;
      }
    },
    set: (key, value) => {
      try {
        local?.setItem(key, value);
      } catch {
        // Quota or privacy mode: memory keeps this page's session.
      }
      memory.set(key, value);
    },
    remove: (key) => {
      try {
        local?.removeItem(key);
      } catch {
        // See set().
      }
      memory.delete(key);
    },
  };
}

function readConfig(script: HTMLScriptElement | null): WidgetConfig | null {
  const appId = script?.dataset['appId']?.trim();
  if (!script || !appId) return null;
  const scriptOrigin = script.src ? new URL(script.src, location.href).origin : location.origin;
  const accent = script.dataset['color'] ?? '';
  return {
    appId,
    hubUrl: script.dataset['hubUrl']?.trim() || scriptOrigin,
    appVersion: script.dataset['appVersion'] ?? null,
    title: script.dataset['title']?.trim() || 'Chat with us',
    // Only a plain hex colour: the value goes into a CSS custom property.
    accent: /^#[0-9a-f]{3,8}$/i.test(accent) ? accent : null,
  };
}

function sessionRequestFor(config: WidgetConfig, page: SupportHubPageConfig | undefined): SessionRequest {
  const request: SessionRequest = { device: collectDeviceContext({ appVersion: config.appVersion, sdkVersion: WIDGET_VERSION }) };
  if (typeof page?.identityToken === 'string' && page.identityToken) {
    request.identityToken = page.identityToken;
    return request;
  }
  if (page?.user && typeof page.user.id === 'string' && page.user.id) {
    request.user = { id: page.user.id, email: page.user.email ?? null, name: page.user.name ?? null };
    if (typeof page.userHash === 'string') request.userHash = page.userHash;
  }
  return request;
}

// document.currentScript is only set while this script runs, so it is read right away.
const ownScript =
  document.currentScript instanceof HTMLScriptElement && document.currentScript.dataset['appId'] !== undefined
    ? document.currentScript
    : document.querySelector<HTMLScriptElement>('script[data-app-id][src*="hub-widget"]');

function boot(): void {
  if (window.__supportHubWidget) return;
  const config = readConfig(ownScript);
  if (!config) {
    console.warn('Support Hub widget: add data-app-id="…" to the <script> tag that loads hub-widget.js');
    return;
  }
  window.__supportHubWidget = true;
  void new ChatWidget(config, sessionRequestFor(config, window.SupportHub)).start();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot, { once: true });
else boot();
