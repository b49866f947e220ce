/**
 * The sidebar bench's baseline: a bare Express 5 app in its own process whose one route answers
 * Help Scout's sidebar path with a constant card, no middleware, no signature check, no lookup.
 * Reports its port over IPC (`{ type: 'ready', port }`) and exits when the parent goes away.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';

const app = express();
app.post('/sidebar/helpscout', (_req, res) => {
  res.json({ html: '<p>constant</p>' });
});

const server = app.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port });
});
process.on('disconnect', () => process.exit(0));
