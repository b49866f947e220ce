import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { SignJWT } from 'jose';
import { userHash } from '../../../src/channels/chat/identity.js';

export const APP_ID = 'acme';
export const IDENTITY_SECRET = 'acme-identity-secret-0123456789';

export const chatEnv = {
  CHAT_APP_ID: APP_ID,
  CHAT_IDENTITY_SECRET: IDENTITY_SECRET,
  CHAT_ALLOW_ANONYMOUS: 'true',
  CHAT_ALLOWED_ORIGINS: 'https://customer.example',
};

/** A minimal SDK over real HTTP: what a mobile app shipped against v1 sends. */
export class Sdk {
  token: string | null = null;

  constructor(
    readonly baseUrl: string,
    readonly appId = APP_ID,
  ) {}

  static forServer(server: Server, appId = APP_ID): Sdk {
    return new Sdk(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, appId);
  }

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        'X-Hub-App-Id': this.appId,
        ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}),
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: response.status, headers: response.headers, body: json as Record<string, any> };
  }

  /**
   * A session for an identified user, proven the recommended way (an identity token signing the
   * id, email and name: the email counts as verified) or with `user_hash` (the id only).
   */
  async identify(userId: string, extra: { email?: string; name?: string } = {}, proof: 'identity_token' | 'user_hash' = 'identity_token') {
    const res = await this.call('POST', '/v1/sessions', {
      ...(proof === 'identity_token' ? { identity_token: await identityToken(userId, extra) } : { user: { id: userId, ...extra }, user_hash: userHash(IDENTITY_SECRET, userId) }),
      device: { platform: 'ios', osVersion: '18.1', appVersion: '4.2.0', sdkVersion: '1.0.0', model: 'iPhone15,2', network: 'wifi', locale: 'en-US', timeZone: 'Europe/Berlin' },
    });
    if (res.status !== 201) throw new Error(`session failed: ${res.status} ${JSON.stringify(res.body)}`);
    this.token = res.body['session_token'];
    return res.body;
  }

  async startConversation(text: string, clientId: string, subject?: string) {
    return this.call('POST', '/v1/conversations', { subject, message: { text, client_id: clientId } });
  }

  streamUrl(cursor?: string | null): string {
    const url = new URL('/v1/stream', this.baseUrl.replace('http', 'ws'));
    url.searchParams.set('app_id', this.appId);
    if (this.token) url.searchParams.set('access_token', this.token);
    if (cursor) url.searchParams.set('cursor', cursor);
    return url.toString();
  }
}

export interface StreamClient {
  socket: WebSocket;
  frames: Record<string, any>[];
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

export async function openStream(url: string, headers: Record<string, string> = {}): Promise<StreamClient> {
  const socket = new WebSocket(url, { headers });
  const frames: Record<string, any>[] = [];
  socket.on('message', (data) => frames.push(JSON.parse(data.toString())));
  const closed = once(socket, 'close').then(([code, reason]) => ({ code: code as number, reason: String(reason) }));
  await Promise.race([once(socket, 'open'), closed]);
  return {
    socket,
    frames,
    closed,
    async close() {
      if (socket.readyState === WebSocket.OPEN) {
        socket.close();
        await closed;
      }
    },
  };
}

/** What the product's backend signs (HS256, the app's identity secret): the id, email and name, for an hour. */
export async function identityToken(userId: string, claims: { email?: string; name?: string } = {}, secret: string = IDENTITY_SECRET, expiresIn: string | number = '1h'): Promise<string> {
  return new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256' }).setSubject(userId).setIssuedAt().setExpirationTime(expiresIn).sign(new TextEncoder().encode(secret));
}
