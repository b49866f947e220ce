import type { DeviceContext } from './v1-client.js';

/**
 * Device context of a web visitor, sent with the session so agents see what the customer uses.
 * Reads `navigator` through a narrow shape (no DOM types), so it also runs, with less to say, in
 * Node or a test.
 */

export interface BrowserEnvironment {
  userAgent?: string;
  language?: string;
  /** Network Information API (Chromium only): `effectiveType` is '4g' | '3g' | '2g' | 'slow-2g'. */
  connection?: { effectiveType?: string; type?: string };
  timeZone?: string;
}

export function collectDeviceContext(options: { appVersion: string | null; sdkVersion: string; env?: BrowserEnvironment }): DeviceContext {
  const env = options.env ?? browserEnvironment();
  return {
    platform: 'web',
    osVersion: env.userAgent ? osVersionFromUserAgent(env.userAgent) : null,
    appVersion: options.appVersion,
    sdkVersion: options.sdkVersion,
    // A browser does not reveal the device model.
    model: null,
    network: env.connection?.type ?? env.connection?.effectiveType ?? null,
    locale: env.language ?? null,
    timeZone: env.timeZone ?? null,
  };
}

function browserEnvironment(): BrowserEnvironment {
  const nav = (globalThis as { navigator?: { userAgent?: unknown; language?: unknown; connection?: unknown } }).navigator;
  const env: BrowserEnvironment = {};
  if (typeof nav?.userAgent === 'string') env.userAgent = nav.userAgent;
  if (typeof nav?.language === 'string') env.language = nav.language;
  const connection = nav?.connection as { effectiveType?: unknown; type?: unknown } | undefined;
  if (connection && typeof connection === 'object') {
    env.connection = {};
    if (typeof connection.effectiveType === 'string') env.connection.effectiveType = connection.effectiveType;
    // `type` ('wifi', 'cellular', …) is only exposed on some mobile browsers; prefer it when present.
    if (typeof connection.type === 'string' && connection.type !== 'unknown') env.connection.type = connection.type;
  }
  try {
    env.timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    // Very old engines without time zone data: leave it out.
  }
  return env;
}

const WINDOWS_NT: Record<string, string> = { '10.0': '10/11', '6.3': '8.1', '6.2': '8', '6.1': '7' };

/**
 * "Android 14", "iOS 17.4", "macOS 10.15.7", "Windows 10/11", "ChromeOS", "Linux" from a user
 * agent. Order matters: iOS UAs say "like Mac OS X" and Android UAs say "Linux". Modern browsers
 * freeze parts of the UA (macOS stays 10.15.7, Windows 11 reports NT 10.0), so this is a hint.
 */
export function osVersionFromUserAgent(userAgent: string): string | null {
  const ios = /(?:iPhone|iPad|iPod).*?OS (\d+(?:_\d+)*)/.exec(userAgent);
  if (ios) return `iOS ${ios[1]!.replace(/_/g, '.')}`;
  const android = /Android (\d+(?:\.\d+)*)/.exec(userAgent);
  if (android) return `Android ${android[1]}`;
  const windows = /Windows NT (\d+\.\d+)/.exec(userAgent);
  if (windows) return `Windows ${WINDOWS_NT[windows[1]!] ?? `NT ${windows[1]}`}`;
  const mac = /Mac OS X (\d+(?:[._]\d+)*)/.exec(userAgent);
  if (mac) return `macOS ${mac[1]!.replace(/_/g, '.')}`;
  if (/CrOS/.test(userAgent)) return 'ChromeOS';
  if (/Linux/.test(userAgent)) return 'Linux';
  return null;
}
