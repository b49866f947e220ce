import type { Tone } from './card.js';
import { cardTemplate } from './render.js';

// Help Scout's style guide: `span.badge` is grey; `.green`, `.blue`, `.orange`, `.red` colour it.
const BADGE_CLASS: Record<Tone, string> = { neutral: 'badge', success: 'badge green', info: 'badge blue', warning: 'badge orange', danger: 'badge red' };

/** The card in Help Scout's legacy custom-app markup: `views/sidebar/helpscout.ejs`. */
export const renderHelpScoutCard = cardTemplate('helpscout', { badgeClass: (tone: Tone) => BADGE_CLASS[tone] ?? 'badge' });
