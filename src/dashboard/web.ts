import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { ZodError } from 'zod';
import { forbidden, HubError } from '../errors.js';
import { viewCompiler, type View } from '../http/views.js';
import { secretsEqual } from '../http/bearer.js';
import { can, type Permission } from './auth/roles.js';
import { sessionCookieOf, type StaffSession, type StaffSessions, type StaffUser } from './auth/sessions.js';
import { formatHelpers } from './format.js';

/**
 * The dashboard's HTTP plumbing: its own strict CSP, the staff session on every request, the
 * login wall, CSRF on every form, role checks, and pages rendered inside one layout. Errors are
 * pages here, not the API's JSON.
 */

declare module 'express-serve-static-core' {
  interface Locals {
    session?: StaffSession | null;
  }
}

/**
 * Scripts and styles only from our own files: no inline script, no inline style, no eval. Forms
 * post only back here, and no other site may frame the dashboard (clickjacking).
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'Content-Security-Policy': DASHBOARD_CSP,
    'Cache-Control': 'no-store',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'same-origin',
  });
  next();
};

export function loadSession(sessions: StaffSessions): RequestHandler {
  return async (req, res, next) => {
    res.locals.session = await sessions.load(sessionCookieOf(req));
    next();
  };
}

export function staffOf(res: Response): StaffUser {
  const user = res.locals.session?.user;
  if (!user) throw forbidden('log in first', 'not_logged_in');
  return user;
}

/** Only relative dashboard paths: an open redirect would make a phishing link look like ours. */
export function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/dashboard(\/[\w\-./?=&%]*)?$/.test(value) && !value.includes('//') ? value : '/dashboard/queue';
}

/** Logged-out visitors go to the login page (and come back afterwards). */
export const requireStaff: RequestHandler = (req, res, next) => {
  if (res.locals.session?.user) return next();
  res.redirect(303, `/dashboard/login?next=${encodeURIComponent(req.method === 'GET' ? req.originalUrl : '/dashboard/queue')}`);
};

/**
 * Every state-changing request carries the session's CSRF token (form field `_csrf` or header
 * `X-CSRF-Token`). SameSite=Lax already keeps the cookie off cross-site POSTs in current
 * browsers; the token covers older ones and same-site attackers (another app on a sibling host).
 */
export const requireCsrf: RequestHandler = (req, res, next) => {
  if (req.method === 'GET' || req.method === 'HEAD') return next();
  const given = (req.body as Record<string, unknown> | undefined)?.['_csrf'] ?? req.get('x-csrf-token');
  const expected = res.locals.session?.csrfToken;
  if (typeof given !== 'string' || !expected || !secretsEqual(given, expected)) {
    throw new HubError(403, 'csrf', 'This form has expired or did not come from the dashboard. Go back, reload the page and try again.');
  }
  next();
};

export function requirePermission(permission: Permission): RequestHandler {
  return (_req, res, next) => {
    const user = staffOf(res);
    if (!can(user.role, permission)) throw forbidden(`your role (${user.role}) may not do this`, 'role');
    next();
  };
}

const compile = viewCompiler('dashboard', formatHelpers);
const views = new Map<string, View>();
const viewOf = (name: string): View => {
  let view = views.get(name);
  if (!view) views.set(name, (view = compile(name)));
  return view;
};

export interface PageLocals {
  title: string;
  /** Which nav entry is current. */
  section?: string;
  [key: string]: unknown;
}

/** What every template gets: the signed-in staff member, their CSRF token and what they may do. */
function staffLocals(res: Response) {
  const session = res.locals.session ?? null;
  const user = session?.user ?? null;
  return { staff: user, csrf: session?.csrfToken ?? '', may: (permission: Permission) => (user ? can(user.role, permission) : false) };
}

/** A page in the layout. */
export function renderPage(res: Response, name: string, locals: PageLocals, status = 200): void {
  const common = { ...staffLocals(res), notice: null, section: null };
  const body = viewOf(name)({ ...common, ...locals });
  res.status(status).type('html').send(viewOf('layout')({ ...common, ...locals, body }));
}

/** A fragment without the layout (live updates replace part of a page with it). */
export function renderFragment(res: Response, name: string, locals: Record<string, unknown>): void {
  res.type('html').send(viewOf(name)({ ...staffLocals(res), ...locals }));
}

export const dashboardErrors: ErrorRequestHandler = (error: unknown, req, res, next) => {
  if (res.headersSent) return next(error);
  let status = 500;
  let message = `Something went wrong on our side (request id ${String(req.id)}). Nothing was changed; try again.`;
  if (error instanceof HubError) {
    status = error.status;
    message = error.message;
    res.set(error.headers);
  } else if (error instanceof ZodError) {
    status = 400;
    message = error.issues.map((i) => `${i.path.join('.') || 'form'}: ${i.message}`).join('; ');
  } else if ((error as { status?: number; expose?: boolean }).expose) {
    status = (error as { status: number }).status;
    message = (error as Error).message;
  } else {
    req.log?.error({ err: error }, 'dashboard error');
  }
  renderPage(res, 'error', { title: status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : 'Could not do that', status, message }, status);
};
