/**
 * Issue 22 item 9: someone opening a sidebar callback URL in a browser (`GET /sidebar/helpscout`,
 * `GET /sidebar/zendesk`) reads a page saying the helpdesk calls it with a POST and how to set it
 * up, and whether this hub has it configured — not a JSON "no route". The POST stays the card.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helpscout } from '../../integrations/helpscout/index.js';
import { zendesk } from '../../integrations/zendesk/index.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { dynamicAppBody, postHelpScoutSidebar } from './support.js';

const SECRET = 'dynamic-app-secret-0123456789';

describe('GET on a sidebar callback URL', () => {
  let t: TestHub;
  let base: string;

  beforeAll(async () => {
    // Help Scout's sidebar configured, Zendesk's not.
    t = await startTestHub('pglite', { integrations: [helpscout, zendesk], env: { HELPSCOUT_SIDEBAR_SECRET: SECRET } });
    base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    await t?.stop();
  });

  const text = (html: string) => html.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ');

  it('Help Scout: a page explaining the signed POST, the setup with this callback URL, and that it is configured', async () => {
    const response = await fetch(`${base}/sidebar/helpscout`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(response.headers.get('content-type')).toContain('text/html');
    const page = text(await response.text());
    expect(page).toContain('Help Scout calls it');
    expect(page).toContain('sends a POST here, signed');
    expect(page).toContain(`Content callback URL: ${base}/sidebar/helpscout`);
    expect(page).toContain('Help Scout sidebar is configured (HELPSCOUT_SIDEBAR_SECRET is set)');
    expect(page).toContain('Sidebar: the customer card in Help Scout and Zendesk');
  });

  it('Zendesk: a page explaining the app’s POST through the proxy, and that ZENDESK_SIDEBAR_TOKEN is not set', async () => {
    const response = await fetch(`${base}/sidebar/zendesk`);
    expect(response.status).toBe(405);
    expect(response.headers.get('content-type')).toContain('text/html');
    const page = text(await response.text());
    expect(page).toContain('Support Hub’s Zendesk sidebar app calls it');
    expect(page).toContain('Zendesk sidebar is not configured: ZENDESK_SIDEBAR_TOKEN is not set');
    expect(page).toContain(`Support Hub URL ${base}`);
  });

  it('other paths keep the JSON 404, and the signed POST still answers the card', async () => {
    const other = await fetch(`${base}/sidebar/freshdesk`);
    expect(other.status).toBe(404);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('not_found');
    const card = await postHelpScoutSidebar(base, SECRET, dynamicAppBody());
    expect(card.status).toBe(200);
    expect(Object.keys((await card.json()) as object)).toEqual(['html']);
  });
});
