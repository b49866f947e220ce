/**
 * The benches' baseline: a bare Express 5 app in its own process answering Help Scout's sidebar
 * path with a constant card, and the dashboard queue with a constant page of its size — no
 * middleware, no signature check, no session, no lookup, no query.
 * Reports its port over IPC (`{ type: 'ready', port }`) and exits when the parent goes away.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';

const app = express();
app.post('/sidebar/helpscout', (_req, res) => {
  res.json({ html: '<p>constant</p>' });
});

const page = `<!doctype html><html><body><table>${'<tr><td>urgent</td><td>An escalation title of ordinary length</td><td>5 min</td></tr>'.repeat(50)}</table></body></html>`;
app.get('/dashboard/queue', (_req, res) => {
  res.type('html').send(page);
});

const server = app.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port });
});
process.on('disconnect', () => process.exit(0));
