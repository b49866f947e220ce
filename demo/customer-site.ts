import { SignJWT } from 'jose';
import { createServer, type Server } from 'node:http';
import { escapeHtml } from '../src/http/views.js';
import { serveLocally } from './serve.js';

export interface DemoCustomer {
  id: string;
  name: string;
  email: string;
  company: string;
  plan: string;
}

/**
 * "Acme", the product whose customers write: a page per seeded customer that identifies them to
 * the chat widget the way a real app should — `window.SupportHub = { identityToken }`, a JWT the
 * server signs with the chat app's identity secret (the user id, email and name) — and then loads
 * the widget.
 */
export async function startCustomerSite(options: { hubUrl: string; appId: string; identitySecret: string; customers: DemoCustomer[]; port?: number }): Promise<{ url: string; close(): Promise<void> }> {
  const byId = new Map(options.customers.map((c) => [c.id, c]));
  const page = (title: string, body: string, head = '') => `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title><link rel="stylesheet" href="/site.css">${head}</head><body><main>${body}</main></body></html>`;
  const secret = new TextEncoder().encode(options.identitySecret);
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://site');
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
      res.end(body);
    };
    // Browsers ask for one on every page; there is none, and a 404 here is noise.
    if (url.pathname === '/favicon.ico') return void res.writeHead(204).end();
    if (url.pathname === '/site.css') {
      return send(200, 'text/css', 'body{margin:0;font:16px/1.5 system-ui,sans-serif;color:#1c1e21;background:#f4f6fb}main{max-width:44rem;margin:2.5rem auto;padding:0 1.25rem}a{color:#1f5fbf}li{margin:.4rem 0}.muted{color:#555}');
    }
    const identity = /^\/identity\/([\w-]+)\.js$/.exec(url.pathname);
    if (identity) {
      const customer = byId.get(identity[1]!);
      if (!customer) return send(404, 'text/javascript', '');
      const identityToken = await new SignJWT({ email: customer.email, name: customer.name }).setProtectedHeader({ alg: 'HS256' }).setSubject(customer.id).setIssuedAt().setExpirationTime('1h').sign(secret);
      return send(200, 'text/javascript', `window.SupportHub = ${JSON.stringify({ identityToken })};`);
    }
    const as = /^\/as\/([\w-]+)$/.exec(url.pathname);
    if (as) {
      const customer = byId.get(as[1]!);
      if (!customer) return send(404, 'text/html', page('Not found', '<p>No such customer. <a href="/">Back</a></p>'));
      const widget = `${options.hubUrl}/widget/hub-widget.js`;
      return send(
        200,
        'text/html',
        page(
          `Acme — ${customer.name}`,
          `<h1>Acme HR</h1><p>Signed in as <strong>${escapeHtml(customer.name)}</strong> (${escapeHtml(customer.email)}), ${escapeHtml(customer.company)} on the ${escapeHtml(customer.plan)} plan.</p>
<p>Open the chat bubble in the bottom right corner and write to support. Try something urgent, such as
<em>“Urgent: the payroll export fails for all our employees and salaries are due today!”</em></p>
<p class="muted"><a href="/">Switch customer</a></p>
<script src="/identity/${escapeHtml(customer.id)}.js"></script>
<script src="${escapeHtml(widget)}" data-app-id="${escapeHtml(options.appId)}"></script>`,
        ),
      );
    }
    if (url.pathname === '/') {
      const items = options.customers.map((c) => `<li><a href="/as/${escapeHtml(c.id)}">${escapeHtml(c.name)}</a> — ${escapeHtml(c.company)}, ${escapeHtml(c.plan)}</li>`).join('');
      return send(200, 'text/html', page('Acme — pick a customer', `<h1>Acme HR (demo product)</h1><p>Chat with support as one of these customers:</p><ul>${items}</ul>`));
    }
    send(404, 'text/plain', 'not found');
  });
  return serveLocally(server, options.port);
}
