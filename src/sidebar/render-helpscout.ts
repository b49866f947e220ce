import type { CardBadge, CardItem, CardSection, SidebarCard, Tone } from './card.js';
import { html, safeHref, type SafeHtml } from './html.js';

/**
 * The card in Help Scout's legacy custom-app markup (developer.helpscout.com/custom-apps/style-guide):
 * toggle sections (`c-sb-section`), two-line lists (`c-sb-list-item__label` over `__text`) and
 * coloured `badge`s. Help Scout strips inline CSS, JavaScript and undocumented markup, so the card
 * uses only those classes and links.
 */

// Style guide: `span.badge` is grey; `.green`, `.blue`, `.orange`, `.red` colour it.
const BADGE_CLASS: Record<Tone, string> = { neutral: 'badge', success: 'badge green', info: 'badge blue', warning: 'badge orange', danger: 'badge red' };

function badge(b: CardBadge): SafeHtml {
  return html`<span class="${BADGE_CLASS[b.tone]}">${b.text}</span>`;
}

function link(text: string, url: string): SafeHtml {
  const href = safeHref(url);
  return href ? html`<a href="${href}" target="_blank" rel="noopener noreferrer">${text}</a>` : html`${text}`;
}

function item(entry: CardItem): SafeHtml {
  const parts: SafeHtml[] = [];
  if (entry.text !== undefined) parts.push(html`${entry.text}`);
  if (entry.badge) parts.push(badge(entry.badge));
  if (entry.link) parts.push(link(entry.link.text, entry.link.url));
  const value = parts.flatMap((part, i) => (i === 0 ? [part] : [html` `, part]));
  return html`<li class="c-sb-list-item"><span class="c-sb-list-item__label">${entry.label}<span class="c-sb-list-item__text">${value}${entry.hint ? html` <span class="muted">${entry.hint}</span>` : null}</span></span></li>`;
}

function section(part: CardSection): SafeHtml {
  const body =
    part.state === 'unavailable'
      ? html`<p><span class="badge orange">unavailable</span> <span class="muted">${part.note ?? 'No answer in time; it will show next time the card loads.'}</span></p>`
      : html`${part.items.length > 0 ? html`<ul class="c-sb-list c-sb-list--two-line">${part.items.map(item)}</ul>` : null}${part.note ? html`<p class="muted">${part.note}</p>` : null}`;
  return html`<div class="c-sb-section c-sb-section--toggle open"><div class="c-sb-section__title js-sb-toggle">${part.title}<i class="caret sb-caret"></i></div><div class="c-sb-section__body">${body}</div></div>`;
}

export function renderHelpScoutCard(card: SidebarCard): string {
  if (card.kind === 'notice') return html`<p>${card.notice ?? ''}</p>`.toString();
  const heading = card.headline ?? card.email;
  return html`${heading ? html`<h4>${heading}</h4>` : null}${card.headline && card.email ? html`<p class="muted">${card.email}</p>` : null}${
    card.badges.length > 0 ? html`<p>${card.badges.map((b, i) => (i === 0 ? badge(b) : html` ${badge(b)}`))}</p>` : null
  }${card.notice ? html`<p>${card.notice}</p>` : null}${card.sections.map(section)}`.toString();
}
