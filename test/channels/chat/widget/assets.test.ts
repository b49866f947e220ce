import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../../src/app.js';
import { buildWidget, type WidgetBuild } from '../../../../src/channels/chat/widget/build.js';
import { widgetRouter } from '../../../../src/channels/chat/widget/routes.js';
import { HubMetrics } from '../../../../src/ops/metrics.js';

let outDir: string;
let built: WidgetBuild;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'hub-widget-'));
  built = await buildWidget({ outDir });
});

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

/** The real app pipeline (helmet included), so the test sees the headers a browser would. */
function app(options: { demoAppId: string | null; widgetFile?: string }) {
  return buildApp({
    log: pino({ level: 'silent' }),
    metrics: new HubMetrics(),
    bodyLimitBytes: 1024 * 1024,
    trustProxy: false,
    rawBodyRouters: [],
    routers: [widgetRouter({ widgetFile: options.widgetFile ?? built.file, demoAppId: options.demoAppId })],
  });
}

describe('widget bundle', () => {
  it('is one minified IIFE for old browsers with a linked source map and the version inside', () => {
    const script = readFileSync(built.file, 'utf8');
    expect(built.file).toBe(join(outDir, 'hub-widget.js'));
    expect(built.rebuilt).toBe(true);
    expect(built.version).toMatch(/^\d+\.\d+\.\d+\+[0-9a-f]{12}$/);
    expect(script).toContain(`Support Hub chat widget ${built.version}`);
    expect(script).toContain(JSON.stringify(built.version));
    expect(script).toMatch(/^\/\*![^\n]*\*\/\n"use strict";\(\(\)=>\{/);
    expect(script.trimEnd().endsWith('//# sourceMappingURL=hub-widget.js.map')).toBe(true);
    // ES2019: no optional chaining, nullish coalescing or class fields left for old Safari to choke on.
    expect(script).not.toMatch(/\?\.[a-zA-Z_$(]|\?\?/);
    expect(script).not.toContain('innerHTML');
    const map = JSON.parse(readFileSync(`${built.file}.map`, 'utf8')) as { sources: string[] };
    expect(map.sources.some((source) => source.endsWith('src/channels/chat/widget/widget.ts'))).toBe(true);
  });

  it('is not rebuilt when its sources are unchanged, and is when forced', async () => {
    const before = statSync(built.file).mtimeMs;
    const again = await buildWidget({ outDir });
    expect(again).toEqual({ file: built.file, version: built.version, rebuilt: false });
    expect(statSync(built.file).mtimeMs).toBe(before);
    const forced = await buildWidget({ outDir, force: true });
    expect(forced.rebuilt).toBe(true);
    expect(forced.version).toBe(built.version);
  });
});

describe('widget routes', () => {
  it('serve the script to other origins: CORP cross-origin (not helmet’s same-origin), CORS *, JavaScript, ETag', async () => {
    const response = await request(app({ demoAppId: null })).get('/widget/hub-widget.js').set('Origin', 'https://customer.example');
    expect(response.status).toBe(200);
    expect(response.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(response.headers['cache-control']).toMatch(/public, max-age=\d+/);
    expect(response.headers['etag']).toMatch(/^"[\w-]+"$/);
    expect(response.text).toBe(readFileSync(built.file, 'utf8'));

    const revalidated = await request(app({ demoAppId: null })).get('/widget/hub-widget.js').set('If-None-Match', response.headers['etag']!);
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers['cross-origin-resource-policy']).toBe('cross-origin');

    const map = await request(app({ demoAppId: null })).get('/widget/hub-widget.js.map');
    expect(map.status).toBe(200);
    expect(map.headers['cross-origin-resource-policy']).toBe('cross-origin');
  });

  it('answer 503 with a JSON error when the widget was never built', async () => {
    const response = await request(app({ demoAppId: null, widgetFile: join(outDir, 'missing.js') })).get('/widget/hub-widget.js');
    expect(response.status).toBe(503);
    expect(response.body).toEqual({ error: { code: 'widget_not_built', message: expect.stringContaining('build.ts') } });
  });

  it('serve a demo page that runs under a CSP without unsafe-inline and names the app in a data attribute', async () => {
    const response = await request(app({ demoAppId: 'demo"<app>' })).get('/widget/demo');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = response.headers['content-security-policy']!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = response.text;
    expect(html).toContain('<script src="/widget/hub-widget.js" data-app-id="demo&#34;&#60;app&#62;" async></script>');
    expect(html).not.toContain('demo"<app>');
    // No inline script or style anywhere: every <script> has a src, no <style>, no style="".
    expect(html.match(/<script\b[^>]*>/g)!.every((tag) => tag.includes(' src='))).toBe(true);
    expect(html).not.toMatch(/<style|style=/i);
    const css = await request(app({ demoAppId: 'demo' })).get('/widget/demo.css');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('answer /widget/demo with 404 and a hint to set CHAT_APP_ID when no chat app is configured', async () => {
    const response = await request(app({ demoAppId: null })).get('/widget/demo');
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('chat_app_not_configured');
    expect(response.body.error.message).toContain('CHAT_APP_ID');
  });

  it('answer a browser opening /widget/demo with no chat app configured with a page saying what to set', async () => {
    const response = await request(app({ demoAppId: null })).get('/widget/demo').set('Accept', 'text/html,application/xhtml+xml,*/*;q=0.8');
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    for (const setting of ['CHAT_APP_ID', 'CHAT_IDENTITY_SECRET', 'CHAT_ALLOW_ANONYMOUS']) expect(response.text).toContain(setting);
  });
});
