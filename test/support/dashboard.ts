import type { Hub } from '../../src/hub.js';
import type { StaffRole } from '../../src/store/schema.js';
import { saveStaffUser } from '../../src/dashboard/staff-users.js';

/** A staff account straight in the store (what `npm run user:create` does). */
export async function createStaff(hub: Hub, role: StaffRole, email = `${role}@hub.test`): Promise<{ email: string; password: string }> {
  const password = `pw-${role}-correct-horse-battery`;
  await saveStaffUser(hub.store, { email, role, name: `${role[0]!.toUpperCase()}${role.slice(1)} Person`, password }, 'test');
  return { email, password };
}

/** The value of a form's hidden CSRF field in a page. */
export function csrfIn(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF field in the page');
  return match[1]!;
}

/**
 * A browser-like HTTP client for dashboard tests: keeps the session cookie, does not follow
 * redirects (tests look at them), and sends forms urlencoded with the page's CSRF token.
 */
export class StaffClient {
  /** The session cookie (`name=value`), and the Set-Cookie header that last set it. */
  cookie: string | null = null;
  lastSetCookie: string | null = null;
  /** The known-device cookie a login leaves (`name=value`). */
  device: string | null = null;

  constructor(readonly base: string) {}

  private remember(response: Response): Response {
    const set = response.headers.getSetCookie();
    for (const header of set) {
      const [pair] = header.split(';');
      const value = pair!.slice(pair!.indexOf('=') + 1);
      if (pair!.slice(0, pair!.indexOf('=')).endsWith('hub_device')) {
        this.device = value === '' ? null : pair!;
        continue;
      }
      this.lastSetCookie = header;
      this.cookie = value === '' ? null : pair!;
    }
    return response;
  }

  private cookies(): Record<string, string> {
    const jar = [this.cookie, this.device].filter((c): c is string => c !== null);
    return jar.length > 0 ? { cookie: jar.join('; ') } : {};
  }

  async get(path: string): Promise<Response> {
    return this.remember(await fetch(this.base + path, { redirect: 'manual', headers: this.cookies() }));
  }

  async page(path: string): Promise<string> {
    const response = await this.get(path);
    if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return response.text();
  }

  /** POSTs a form; `csrf` false sends none, a string sends that, default takes the token from `from`'s page. */
  async post(path: string, form: Record<string, string | string[]>, options: { csrf?: string | false; from?: string } = {}): Promise<Response> {
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(form)) for (const v of Array.isArray(value) ? value : [value]) body.append(key, v);
    if (options.csrf !== false) body.set('_csrf', options.csrf ?? csrfIn(await this.page(options.from ?? '/dashboard/queue')));
    return this.remember(
      await fetch(this.base + path, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...this.cookies() },
        body,
      }),
    );
  }

  async login(email: string, password: string): Promise<Response> {
    const csrf = csrfIn(await this.page('/dashboard/login'));
    return this.post('/dashboard/login', { email, password }, { csrf });
  }
}
