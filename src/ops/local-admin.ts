import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import express from 'express';
import type { Logger } from 'pino';
import type { Hub } from '../hub.js';
import { errorHandler, notFoundHandler } from '../http/errors.js';
import { requestContext } from '../http/request-context.js';
import { replaySync } from '../sync/index.js';
import { adminRouter } from './admin.js';

/**
 * The local admin channel: how `npm run user:create` and `npm run users` reach a running hub that
 * holds the embedded store, with nothing configured. The hub serves its operator API on a Unix
 * socket in its data directory (`admin.sock`, mode 0600) and requires a bearer token it writes
 * beside it (`admin.token`, created 0600, new at every start); both go at a graceful stop, and a
 * crash's leftovers are replaced at the next start (the data-directory lock says none is live).
 *
 * Why a socket and not a token file plus the TCP port: a token that works over TCP works for
 * anyone who can reach the port — through a reverse proxy, or from another host when HOST=0.0.0.0
 * — once the file leaks (a backup, a support bundle). The socket cannot be reached from the
 * network and no proxy forwards to it; connecting needs the hub's OS user (file mode). The token
 * on top covers systems that ignore a socket's file mode (some BSDs) and the instant between bind
 * and chmod; it is compared in constant time (adminAuth).
 */
export const LOCAL_ADMIN_SOCKET = 'admin.sock';
export const LOCAL_ADMIN_TOKEN = 'admin.token';

// sun_path holds 108 bytes on Linux, 104 on macOS; a longer path cannot be bound.
const MAX_SOCKET_PATH = 100;

export interface LocalAdmin {
  socketPath: string;
  close(): Promise<void>;
}

/** Opens the channel for a hub on the embedded store; null (and a log line) when it cannot. */
export async function openLocalAdmin(hub: Hub, dataDir: string, log: Logger): Promise<LocalAdmin | null> {
  const socketPath = join(dataDir, LOCAL_ADMIN_SOCKET);
  const tokenPath = join(dataDir, LOCAL_ADMIN_TOKEN);
  if (socketPath.length > MAX_SOCKET_PATH) {
    log.warn({ socketPath }, 'data directory path too long for the local admin socket: account commands need HUB_ADMIN_TOKEN while the hub runs');
    return null;
  }
  // This process holds the data-directory lock, so anything left here is a dead hub's.
  removeQuietly(socketPath);
  removeQuietly(tokenPath);
  const token = randomBytes(32).toString('base64url');
  const fd = openSync(tokenPath, 'wx', 0o600);
  try {
    writeSync(fd, `${token}\n`);
  } finally {
    closeSync(fd);
  }
  const app = express();
  app.disable('x-powered-by');
  app.use(requestContext(log));
  app.use(express.json({ limit: hub.loaded.config.http.bodyLimitBytes }));
  app.use(adminRouter({ token, store: hub.store, queue: hub.queue, registry: hub.registry, privacy: hub.privacy, syncReplay: () => replaySync({ queue: hub.queue, store: hub.store, sync: hub.sync }) }));
  app.use(notFoundHandler);
  app.use(errorHandler);
  const server: Server = createServer(app);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
    chmodSync(socketPath, 0o600);
  } catch (error) {
    removeQuietly(tokenPath);
    log.warn({ err: error, socketPath }, 'local admin socket not opened: account commands need HUB_ADMIN_TOKEN while the hub runs');
    return null;
  }
  return {
    socketPath,
    async close() {
      removeQuietly(tokenPath);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      removeQuietly(socketPath);
    },
  };
}

export interface LocalAdminTarget {
  socketPath: string;
  token: string;
}

/**
 * The running hub's local channel as the account commands find it, or null when there is none
 * (an older hub, a long path). Throws a readable error when the token exists but this OS user may
 * not read it: that is the permission doing its job, and the way out is to run as the hub's user.
 */
export function findLocalAdmin(dataDir: string): LocalAdminTarget | null {
  const tokenPath = join(dataDir, LOCAL_ADMIN_TOKEN);
  let token: string;
  try {
    token = readFileSync(tokenPath, 'utf8').trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new LocalAdminError(`${tokenPath} is readable only by the OS user the hub runs as: run this command as that user (or set HUB_ADMIN_TOKEN on both)`);
    }
    throw error;
  }
  return token ? { socketPath: join(dataDir, LOCAL_ADMIN_SOCKET), token } : null;
}

export class LocalAdminError extends Error {
  override name = 'LocalAdminError';
}

/** One operator-API call over the socket: the status and the parsed JSON body. */
export function callLocalAdmin(target: LocalAdminTarget, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: target.socketPath,
        method,
        path,
        headers: { authorization: `Bearer ${target.token}`, ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          let json: unknown = {};
          try {
            json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            /* not JSON: the status says enough */
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) =>
      reject(new LocalAdminError(`could not reach the running hub's local admin socket ${target.socketPath} (${error.code ?? error.message}); is the hub still starting or stopping?`)),
    );
    req.end(payload);
  });
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* not there */
  }
}
