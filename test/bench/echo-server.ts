/** The chat bench's baseline: a bare `ws` server that echoes every frame, in its own process. */
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
wss.on('connection', (socket) => socket.on('message', (data) => socket.send(data.toString())));
wss.on('listening', () => process.send?.({ type: 'ready', port: (wss.address() as { port: number }).port, pid: process.pid }));
process.on('message', (m: { type: string }) => {
  if (m.type === 'stats') process.send?.({ type: 'stats', rssBytes: process.memoryUsage().rss });
});
process.on('disconnect', () => process.exit(0));
