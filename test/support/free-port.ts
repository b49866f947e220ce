import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A port for a server that cannot listen on port 0 because its address must be known before it
 * starts (a hub whose PORT goes into its own config, dovecot, a child process).
 *
 * The port comes from *below* the kernel's ephemeral range (Linux: 32768–60999, in
 * /proc/sys/net/ipv4/ip_local_port_range). A port the kernel hands out for `listen(0)` is also
 * one it hands to outgoing connections: between choosing it and the server listening, any client
 * socket in the other test worker could take it (CI saw `EADDRINUSE` that way). Below the range only
 * another explicit choice like this one can, and it is tried before being returned.
 */
export async function freePort(preferred?: number): Promise<number> {
  if (preferred !== undefined && preferred > 0 && (await tryListen(preferred))) return preferred;
  const low = ephemeralStart();
  const floor = Math.min(20_000, low - 2_000);
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = floor + Math.floor(Math.random() * (low - floor));
    if (await tryListen(port)) return port;
  }
  throw new Error(`no free port found between ${floor} and ${low - 1}`);
}

/** The first port of the kernel's ephemeral range. */
function ephemeralStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (low > 3_000) return low;
  } catch {
    // Not Linux: macOS and Windows start theirs at 49152.
  }
  return 49_152;
}

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
