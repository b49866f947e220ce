import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { escapeHtml } from '../src/http/views.js';
import { serveLocally } from './serve.js';
import type { ParsedMail } from 'mailparser';
import type { FakeGitHub } from '../test/fakes/github/index.js';
import type { FakeConversationView, FakeHelpdesk } from '../test/fakes/helpdesk-fake.js';

/**
 * A small agent console over the fake helpdesks, standing in for the Help Scout and Zendesk web
 * apps: the conversations the hub synced, their threads, the sidebar card exactly as the hub
 * answers Help Scout's signed Dynamic App callback, and a reply box. A reply goes through the
 * fake vendor, which sends its webhook to the hub — the same path a real agent's reply takes.
 */
export async function startAgentConsole(options: {
  helpdesks: { id: 'helpscout' | 'zendesk'; name: string; fake: FakeHelpdesk }[];
  hubUrl: string;
  /** HELPSCOUT_SIDEBAR_SECRET: the console signs sidebar requests as Help Scout does. */
  helpScoutSidebarSecret: string | null;
  helpScoutMailboxId: number;
  /** The fake GitHub, whose issues the hub opens for urgent conversations. */
  github: FakeGitHub;
  /** Mail the hub sent (acknowledgements of mail, on-call mail), caught locally. */
  outbox: readonly ParsedMail[];
  port?: number;
}): Promise<{ url: string; close(): Promise<void> }> {
  const byId = new Map(options.helpdesks.map((h) => [h.id, h]));
  const layout = (title: string, body: string, refresh = false) =>
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">${refresh ? '<meta http-equiv="refresh" content="3">' : ''}<title>${escapeHtml(title)} · Agent console (demo)</title><link rel="stylesheet" href="/console.css"></head><body><header><strong>Agent console</strong> <span>fake helpdesks of the demo</span> <a href="/">Conversations</a></header><main>${body}</main></body></html>`;

  const sidebarCard = async (conversation: FakeConversationView): Promise<string> => {
    if (!options.helpScoutSidebarSecret) return '<p class="muted">No sidebar app configured.</p>';
    if (!conversation.customerEmail) return '<p class="muted">No customer email: no card.</p>';
    // The body and signature Help Scout's Dynamic App sends (developer.helpscout.com/apps/dynamic).
    const body = JSON.stringify({
      ticket: { id: Number(conversation.id), number: Number(conversation.id), subject: conversation.subject ?? '' },
      customer: { id: 1, fname: '', lname: '', email: conversation.customerEmail, emails: [conversation.customerEmail] },
      user: { fname: 'Demo', lname: 'Agent', id: 1, role: 'user', convRedirect: 0 },
      mailbox: { id: options.helpScoutMailboxId, email: 'support@acme.example' },
    });
    const signature = createHmac('sha1', options.helpScoutSidebarSecret).update(body).digest('base64');
    const response = await fetch(`${options.hubUrl}/sidebar/helpscout`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-helpscout-signature': signature }, body });
    const answer = (await response.json().catch(() => ({}))) as { html?: string };
    // The hub's card is escaped HTML made for Help Scout's sidebar; shown here as Help Scout would.
    return answer.html ?? `<p class="muted">The hub answered ${response.status}.</p>`;
  };

  const server: Server = createServer((req, res) => {
    // Browsers ask for one on every page; there is none, and a 404 here is noise.
    if (req.url === '/favicon.ico') return void res.writeHead(204).end();
    void handle(req).then(
      ({ status, type, body, location }) => {
        res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store', ...(location ? { location } : {}) });
        res.end(body);
      },
      (error: Error) => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`console error: ${error.message}`);
      },
    );
  });

  async function handle(req: IncomingMessage): Promise<{ status: number; type: string; body: string; location?: string }> {
    const url = new URL(req.url ?? '/', 'http://console');
    const html = (title: string, body: string, refresh = false) => ({ status: 200, type: 'text/html', body: layout(title, body, refresh) });
    if (url.pathname === '/console.css') return { status: 200, type: 'text/css', body: CSS };
    if (url.pathname === '/') {
      const sections = options.helpdesks.map(({ id, name, fake }) => {
        const rows = fake
          .conversations()
          .reverse()
          .map((c) => {
            const last = c.threads.filter((t) => t.kind === 'customer' || t.kind === 'agent').at(-1);
            const urgency = c.tags.find((t) => t.startsWith('urgency-') || t.startsWith('urgency_'));
            return `<tr><td><a href="/${id}/${escapeHtml(c.id)}">${escapeHtml(c.subject || '(no subject)')}</a></td><td>${escapeHtml(c.customerEmail ?? '')}</td><td>${escapeHtml(c.status)}</td><td>${escapeHtml(urgency ?? '')}</td><td>${escapeHtml((last?.text ?? '').slice(0, 80))}</td></tr>`;
          })
          .join('');
        return `<h2>${escapeHtml(name)}</h2>${rows ? `<table><thead><tr><th>Subject</th><th>Customer</th><th>Status</th><th>Urgency</th><th>Latest</th></tr></thead><tbody>${rows}</tbody></table>` : '<p class="muted">No conversations yet. Chat as a customer and it appears here within seconds.</p>'}`;
      });
      const issues = options.github
        .issues()
        .map((i) => `<li id="issue-${escapeHtml(String(i['number']))}"><a href="${escapeHtml(issuePath(i))}">#${escapeHtml(String(i['number']))}</a> ${escapeHtml(String(i['title']))} <span class="muted">(${escapeHtml(String(i['state']))})</span></li>`)
        .join('');
      const mails = options.outbox
        .slice(-20)
        .reverse()
        .map((m) => `<li>${escapeHtml(m.date?.toISOString().slice(11, 16) ?? '')} to ${escapeHtml(m.to && !Array.isArray(m.to) ? m.to.text : '')}: ${escapeHtml(m.subject ?? '')}</li>`)
        .join('');
      return html(
        'Conversations',
        `<h1>Conversations</h1>${sections.join('')}<h2>GitHub issues (fake)</h2>${issues ? `<ul id="github-issues">${issues}</ul>` : '<p class="muted">None yet: urgent conversations open one.</p>'}<h2>Mail the hub sent</h2>${mails ? `<ul>${mails}</ul>` : '<p class="muted">None yet.</p>'}`,
        true,
      );
    }
    const issueNumber = /^\/github\/[\w.-]+\/[\w.-]+\/issues\/(\d+)$/.exec(url.pathname)?.[1];
    if (issueNumber) return githubIssuePage(Number(issueNumber));
    const match = /^\/(helpscout|zendesk)\/([\w-]+)(\/reply)?$/.exec(url.pathname);
    const helpdesk = match ? byId.get(match[1] as 'helpscout' | 'zendesk') : undefined;
    const conversation = match && helpdesk ? helpdesk.fake.conversation(match[2]!) : null;
    if (!match || !helpdesk || !conversation) return { status: 404, type: 'text/html', body: layout('Not found', '<p>No such conversation.</p>') };
    if (match[3] && req.method === 'POST') {
      const form = new URLSearchParams(await readBody(req));
      const text = (form.get('text') ?? '').trim();
      if (text) await helpdesk.fake.agentReply(conversation.id, text, { agentName: 'Demo Agent' });
      return { status: 303, type: 'text/plain', body: '', location: `/${match[1]}/${conversation.id}` };
    }
    const threads = conversation.threads
      .map((t) => `<li class="${t.kind}${t.public ? '' : ' private'}"><div class="meta">${escapeHtml(t.kind === 'note' ? 'private note' : t.kind)} · ${escapeHtml(t.createdAt.toISOString().slice(0, 16).replace('T', ' '))} UTC</div><div class="text">${escapeHtml(t.text)}</div></li>`)
      .join('');
    const card = match[1] === 'helpscout' ? await sidebarCard(conversation) : '<p class="muted">The Zendesk sidebar app runs inside Zendesk (integrations/zendesk/app).</p>';
    return html(
      conversation.subject ?? 'Conversation',
      `<div class="grid"><section><h1>${escapeHtml(conversation.subject || '(no subject)')}</h1><p class="muted">${escapeHtml(helpdesk.name)} #${escapeHtml(conversation.id)} · ${escapeHtml(conversation.customerEmail ?? '')} · ${escapeHtml(conversation.status)} · tags: ${escapeHtml(conversation.tags.join(', '))}</p>
<ol class="threads">${threads}</ol>
<form method="post" action="/${match[1]}/${escapeHtml(conversation.id)}/reply"><label for="reply">Reply to the customer</label><textarea id="reply" name="text" rows="3" required></textarea><button type="submit">Send reply</button></form></section>
<aside aria-label="Sidebar"><h2>Support Hub</h2><div id="sidebar-card">${card}</div></aside></div>`,
    );
  }

  // The fake GitHub's html_urls point here (`htmlBase` = this console's /github), so the
  // dashboard's "open in github" link shows the issue the hub opened instead of a github.com 404.
  function githubIssuePage(number: number): { status: number; type: string; body: string } {
    const issue = options.github.issues().find((i) => i['number'] === number);
    if (!issue) return { status: 404, type: 'text/html', body: layout('Not found', '<p>No such issue at the fake GitHub.</p>') };
    const labels = Array.isArray(issue['labels']) ? (issue['labels'] as { name?: unknown }[]).map((l) => String(l.name ?? '')).join(', ') : '';
    const comments = options.github
      .comments(number)
      .map((c) => `<li id="issuecomment-${escapeHtml(String(c['id']))}"><div class="meta">${escapeHtml(String((c['user'] as { login?: unknown } | null)?.login ?? ''))} · ${escapeHtml(String(c['created_at'] ?? ''))}</div><div class="text">${escapeHtml(String(c['body'] ?? ''))}</div></li>`)
      .join('');
    const title = `#${number} ${String(issue['title'])}`;
    return {
      status: 200,
      type: 'text/html',
      body: layout(
        title,
        `<h1>${escapeHtml(title)}</h1><p class="muted">GitHub (fake) · ${escapeHtml(String(issue['state']))}${labels ? ` · labels: ${escapeHtml(labels)}` : ''} · opened ${escapeHtml(String(issue['created_at'] ?? ''))}</p>
<ol class="threads"><li><div class="text">${escapeHtml(String(issue['body'] ?? ''))}</div></li>${comments}</ol>`,
      ),
    };
  }

  return serveLocally(server, options.port);
}

/** Where the console shows an issue: the path of its html_url when that points here, else the URL itself. */
function issuePath(issue: Record<string, unknown>): string {
  const url = String(issue['html_url'] ?? '');
  try {
    const { pathname } = new URL(url);
    return pathname.startsWith('/github/') ? pathname : url;
  } catch {
    return url;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 100_000) throw new Error('reply too long');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const CSS = `body{margin:0;overflow-wrap:anywhere;font:15px/1.5 system-ui,sans-serif;color:#1d2330;background:#f4f5f7}
header{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;padding:.6rem 1rem;background:#0a3d62;color:#fff}header a{color:#fff;margin-left:auto}
main{max-width:1100px;margin:0 auto;padding:1rem}table{width:100%;border-collapse:collapse;background:#fff}th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #dde}
.muted{color:#555}.grid{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,1fr);gap:1rem}@media(max-width:800px){.grid{grid-template-columns:1fr}}
.threads{list-style:none;padding:0;display:grid;gap:.5rem}.threads li{background:#fff;border:1px solid #dde;border-radius:6px;padding:.5rem .75rem}
.threads li.agent{background:#eaf2ff}.threads li.private{background:#fff8dc}.meta{font-size:.8rem;color:#555}.text{white-space:pre-wrap}td,th,li,h1,h2,p{overflow-wrap:anywhere;min-width:0}
form{display:grid;gap:.4rem;margin-top:1rem}textarea{font:inherit;padding:.4rem}button{justify-self:start;font:inherit;padding:.4rem .9rem;background:#0a3d62;color:#fff;border:0;border-radius:4px}
aside{background:#fff;border:1px solid #dde;border-radius:6px;padding:.5rem .75rem}aside h2{font-size:1rem;margin:.2rem 0}
.c-sb-section{margin:.5rem 0}.c-sb-section h4{margin:.3rem 0}.badge{display:inline-block;font-size:.8rem;padding:0 .4rem;border-radius:3px;background:#e3e7ee}
.c-sb-list{list-style:none;padding:0;margin:.2rem 0}.c-sb-list-item{margin:.15rem 0}.c-sb-list-item__label{display:block;color:#555;font-size:.85rem}
.c-sb-list-item__text{display:block;color:#1d2330;font-size:.95rem}`;
