import type { LoadedConfig } from '../config.js';
import { helpScoutAppSignature } from '../sidebar/helpscout-app-signature.js';
import type { DoctorLine } from './doctor.js';

/**
 * The Help Scout sidebar, for each kind configured: the secret's shape (the legacy Dynamic App's
 * at most 40 characters, which the configuration already enforces; long and varied enough to be a
 * key), and with HUB_PUBLIC_URL, the new app's page probed the way Help Scout loads it: signed
 * with HELPSCOUT_APP_SECRET it must answer a framable page with a card token, unsigned a refusal.
 * The probe's page holds no customer data and asks no data source.
 */
const TIMEOUT_MS = 15_000;
const PROBE_CONVERSATION = '0';

export async function sidebarLines(loaded: LoadedConfig): Promise<DoctorLine[]> {
  const section = (loaded.config.integrations['helpscout'] ?? {}) as Record<string, unknown>;
  const appSecret = typeof section['appSecret'] === 'string' ? section['appSecret'] : null;
  const legacySecret = typeof section['sidebarSecret'] === 'string' ? section['sidebarSecret'] : null;
  const lines: DoctorLine[] = [];
  const area = 'Help Scout';
  if (legacySecret) {
    lines.push(secretLine(area, 'sidebar secret (Dynamic App, legacy)', 'HELPSCOUT_SIDEBAR_SECRET', legacySecret, 'POST /sidebar/helpscout'));
    if (!appSecret) {
      lines.push({ area, check: 'sidebar kind', outcome: 'warn', detail: 'only the legacy Dynamic App is configured; Help Scout now creates App Developer Platform apps by default', hint: 'Create an app under Manage › Apps with the Callback URL <HUB_PUBLIC_URL>/sidebar/helpscout/app and set HELPSCOUT_APP_SECRET to its Secret Key (README: Sidebar card)' });
    }
  }
  if (!appSecret) return lines;
  lines.push(secretLine(area, 'sidebar app secret', 'HELPSCOUT_APP_SECRET', appSecret, 'GET /sidebar/helpscout/app'));
  const publicUrl = loaded.config.http.publicUrl;
  if (!publicUrl) {
    lines.push({ area, check: 'sidebar app URL', outcome: 'warn', detail: 'HUB_PUBLIC_URL is not set, so the app’s page was not probed', hint: 'Set HUB_PUBLIC_URL to the https:// address Help Scout reaches the hub at; the Callback URL is <HUB_PUBLIC_URL>/sidebar/helpscout/app' });
    return lines;
  }
  lines.push(await probeLine(area, appSecret, typeof section['appCallbackUrl'] === 'string' ? section['appCallbackUrl'] : new URL('/sidebar/helpscout/app', publicUrl).toString()));
  return lines;
}

function secretLine(area: string, check: string, env: string, secret: string, route: string): DoctorLine {
  const distinct = new Set(secret).size;
  if (secret !== secret.trim()) return { area, check, outcome: 'fail', detail: `${env} starts or ends with whitespace, which Help Scout’s field does not keep`, hint: `Set ${env} to the Secret Key exactly as entered in Help Scout` };
  if (secret.length < 16 || distinct < 8) {
    return { area, check, outcome: 'warn', detail: `${env} is ${secret.length} characters with ${distinct} different ones: easy to guess, and it is all that proves ${route} comes from Help Scout`, hint: `Generate one (openssl rand -hex 20 gives 40 characters), enter it as the app’s Secret Key in Help Scout and set ${env} to it` };
  }
  return { area, check, outcome: 'ok', detail: `${env} is set (${secret.length} characters) and verifies ${route}` };
}

async function probeLine(area: string, secret: string, callbackUrl: string): Promise<DoctorLine> {
  const check = 'sidebar app URL';
  const params: [string, string][] = [['conversation-id', PROBE_CONVERSATION]];
  const signed = new URL(callbackUrl);
  for (const [name, value] of params) signed.searchParams.append(name, value);
  const unsigned = signed.toString();
  signed.searchParams.append('X-HelpScout-Signature', helpScoutAppSignature(secret, params));
  try {
    const answer = await fetch(signed, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'manual' });
    const page = await answer.text();
    const csp = answer.headers.get('content-security-policy') ?? '';
    if (answer.status !== 200 || !page.includes('name="hub-card-token"')) {
      const why = answer.status === 401 ? 'refused the signed probe: the hub there has another HELPSCOUT_APP_SECRET' : answer.status === 404 ? 'has no sidebar app configured (HELPSCOUT_APP_SECRET unset there) or is not this hub' : `answered ${answer.status}`;
      return { area, check, outcome: 'fail', detail: `${signed.origin}${signed.pathname} ${why}`, hint: 'Check that HUB_PUBLIC_URL reaches this hub (through your proxy) and that the running hub has the same HELPSCOUT_APP_SECRET' };
    }
    if (!csp.includes('frame-ancestors') || !csp.includes('https://secure.helpscout.net') || /deny/i.test(answer.headers.get('x-frame-options') ?? '')) {
      return { area, check, outcome: 'fail', detail: `${signed.origin}${signed.pathname} answers, but Help Scout may not frame it (Content-Security-Policy: ${csp || 'none'}; X-Frame-Options: ${answer.headers.get('x-frame-options') ?? 'none'})`, hint: 'A proxy in front of the hub is replacing its headers: let frame-ancestors https://secure.helpscout.net through and add no X-Frame-Options on /sidebar/helpscout/app' };
    }
    const refused = await fetch(unsigned, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'manual' });
    if (refused.status !== 401) return { area, check, outcome: 'fail', detail: `${signed.origin}${signed.pathname} answered an unsigned request with ${refused.status}, not 401`, hint: 'Check that HUB_PUBLIC_URL reaches this hub, not another service' };
    return { area, check, outcome: 'ok', detail: `${signed.origin}${signed.pathname} answers a signed probe with the app page and refuses an unsigned one; Help Scout may frame it` };
  } catch (error) {
    const code = errorCode(error);
    return { area, check, outcome: 'fail', detail: `${signed.origin}${signed.pathname} could not be reached: ${(error as Error).message}${code ? ` (${code})` : ''}`, hint: `Check that ${signed.host} resolves and accepts connections from here, as it must from Help Scout` };
  }
}

function errorCode(error: unknown): string | undefined {
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code) return code;
  }
  return undefined;
}
