import { cardTemplate } from './render.js';

/** The card in Help Scout's legacy custom-app markup: `views/sidebar/helpscout.ejs`. */
export const renderHelpScoutCard = cardTemplate('helpscout');
