import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { Router, type Request, type RequestHandler } from 'express';
import { selfOnlyPageCsp } from '../../../http/csp.js';

/**
 * Serves the bundled widget to any site and a demo page. The script is embedded cross-origin, so
 * it overrides helmet's `Cross-Origin-Resource-Policy: same-origin` (which would make browsers
 * refuse it on customers' pages). The SDK API's CORS is the chat server's business, not this.
 */

export interface WidgetRouterOptions {
  /** The bundle from `buildWidget()`; its source map is read from `${widgetFile}.map`. */
  widgetFile: string;
  /** App id the demo page embeds; null answers /widget/demo with 404. */
  demoAppId: string | null;
}

// The URL is not versioned (customers paste it once), so caches revalidate within minutes.
const ASSET_CACHE_CONTROL = 'public, max-age=300';

// The demo page runs no inline code at all: scripts and styles only from this origin.
const DEMO_CSP = selfOnlyPageCsp('none');

const DEMO_CSS = `body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1c1e21; background: #fafbfc; }
main { max-width: 42rem; margin: 3rem auto; padding: 0 1.5rem; }
pre { padding: 1rem; overflow-x: auto; background: #fff; border: 1px solid #e1e4e8; border-radius: 8px; }
`;

export function widgetRouter(options: WidgetRouterOptions): Router {
  const router = Router();
  router.get('/widget/hub-widget.js', serveAsset(fileCache(options.widgetFile), 'text/javascript; charset=utf-8'));
  router.get('/widget/hub-widget.js.map', serveAsset(fileCache(`${options.widgetFile}.map`), 'application/json; charset=utf-8'));
  router.get('/widget/demo.css', (req, res) => {
    res.set('Cache-Control', ASSET_CACHE_CONTROL).type('css').send(DEMO_CSS);
  });
  router.get('/widget/demo', (req, res) => {
    if (!options.demoAppId) {
      // A browser (the first thing a new operator opens) gets a page saying what to set; API clients the JSON error.
      if (req.accepts(['json', 'html']) === 'html') {
        res.status(404).set({ 'Content-Security-Policy': DEMO_CSP, 'Cache-Control': 'no-store' }).type('html').send(NOT_CONFIGURED_PAGE);
        return;
      }
      res.status(404).json({
        error: { code: 'chat_app_not_configured', message: 'no chat app is configured: set CHAT_APP_ID to see the widget demo' },
      });
      return;
    }
    res.set({ 'Content-Security-Policy': DEMO_CSP, 'Cache-Control': 'no-store' }).type('html').send(demoPage(options.demoAppId, publicOrigin(req)));
  });
  return router;
}

const NOT_CONFIGURED_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chat widget demo: no chat app configured yet</title>
<link rel="stylesheet" href="/widget/demo.css">
</head>
<body>
<main>
<h1>No chat app is configured yet</h1>
<p>This page shows the chat widget once the hub has a chat app. Stop the hub, set these and start it again:</p>
<pre><code>CHAT_APP_ID=my-app
CHAT_IDENTITY_SECRET=a-random-string-of-16-or-more-characters
CHAT_ALLOW_ANONYMOUS=true   # let visitors write without logging in to your product
CHAT_ALLOWED_ORIGINS=http://localhost:3000   # sites whose pages may call the chat API: this hub's own, for this page</code></pre>
<p>for example <code>CHAT_APP_ID=my-app CHAT_IDENTITY_SECRET=$(openssl rand -hex 24) CHAT_ALLOW_ANONYMOUS=true CHAT_ALLOWED_ORIGINS=http://localhost:3000 npm start</code>
(use the address you open this page at),
then reload this page: it embeds the widget and shows the script tag to paste into your site.</p>
<p>Your product's backend signs who is writing with <code>CHAT_IDENTITY_SECRET</code>; without <code>CHAT_ALLOW_ANONYMOUS</code>
only such signed-in users can chat. <code>npm run doctor</code> says what else is and is not configured.</p>
</main>
</body>
</html>
`;

interface CachedFile {
  /** The bytes and their ETag, re-read when the file's size or mtime changes (a rebuild). */
  load(): Promise<{ body: Buffer; etag: string } | null>;
}

function fileCache(path: string): CachedFile {
  let cached: { key: string; body: Buffer; etag: string } | null = null;
  return {
    async load() {
      let key: string;
      try {
        const info = await stat(path);
        key = `${info.size}:${info.mtimeMs}`;
      } catch {
        return null;
      }
      if (cached?.key !== key) {
        const body = await readFile(path);
        cached = { key, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
      }
      return cached;
    },
  };
}

function serveAsset(file: CachedFile, contentType: string): RequestHandler {
  return async (req, res) => {
    const asset = await file.load();
    if (!asset) {
      res.status(503).json({
        error: { code: 'widget_not_built', message: 'the chat widget is not built yet: run node --import tsx src/channels/chat/widget/build.ts' },
      });
      return;
    }
    res.set({
      'Content-Type': contentType,
      'Cross-Origin-Resource-Policy': 'cross-origin',
      'Access-Control-Allow-Origin': '*',
      'Cache-Control': ASSET_CACHE_CONTROL,
      ETag: asset.etag,
    });
    // req.fresh compares If-None-Match with the ETag just set (RFC 9110 §13.1.2).
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    res.send(asset.body);
  };
}

/** The origin visitors reach the hub at, for the copy-paste snippet on the demo page. */
function publicOrigin(req: Request): string {
  const host = req.get('host') ?? 'localhost';
  // Only characters a host[:port] can hold: the value is echoed into HTML.
  return /^[A-Za-z0-9.\-:[\]]+$/.test(host) ? `${req.protocol}://${host}` : 'https://your-hub.example.com';
}

function demoPage(appId: string, origin: string): string {
  const id = escapeHtml(appId);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Support Hub chat widget demo</title>
<link rel="stylesheet" href="/widget/demo.css">
</head>
<body>
<main>
<h1>Chat widget demo</h1>
<p>This page embeds the Support Hub chat widget of app <code>${id}</code> with one script tag:</p>
<pre><code>&lt;script src="${escapeHtml(origin)}/widget/hub-widget.js" data-app-id="${id}" async&gt;&lt;/script&gt;</code></pre>
<p>To show who is writing, set <code>window.SupportHub = { identityToken }</code> before that tag: a JWT your server signs
with the app's identity secret (HS256) carrying <code>sub</code> (the user id), <code>email</code>, <code>name</code> and <code>exp</code>.
The older <code>{ user: { id, email, name }, userHash }</code> (the hex HMAC-SHA256 of the user id) still works, but proves the id only:
the email beside it stays unverified.</p>
<p>Open the chat bubble in the bottom right corner to write to the team.</p>
</main>
<script src="/widget/hub-widget.js" data-app-id="${id}" async></script>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
