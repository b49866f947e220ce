import { z } from 'zod';
import { envBoolean } from '../../config/env-boolean.js';
import { secret } from '../../config/secrets.js';

/** "https://a.example, https://b.example" from the environment, or a list in the config file. */
const originList = z.preprocess(
  (value) => (typeof value === 'string' ? value.split(',').map((o) => o.trim()).filter(Boolean) : value),
  z.array(z.string().regex(/^(\*|https?:\/\/[^/\s]+)$/, 'origins look like https://app.example.com (or *)')),
);

export const chatAppSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, _ or -'),
  /** HMAC key for `user_hash` (identity verification); shared with the product's backend only. */
  identitySecret: secret(z.string({ error: 'is required' }).min(16, 'must be at least 16 characters')),
  allowAnonymous: envBoolean.default(false),
  /** Browser origins allowed to call the SDK API (CORS); `*` allows any. Native apps send none. */
  allowedOrigins: originList.default([]),
  /** The product's backend endpoint that turns "unread reply" events into APNs/FCM pushes. */
  pushWebhookUrl: z.url().optional(),
  /** Signs those events (X-Hub-Signature); defaults to the identity secret when unset. */
  pushSecret: secret(z.string().min(16).optional()),
  /** Link in "you have a reply" emails back to the app; `{conversation_id}` is filled in. */
  emailLinkUrl: z.url().optional(),
});
export type ChatApp = z.infer<typeof chatAppSchema>;

export const chatSchema = z
  .object({
    apps: z.array(chatAppSchema).default([]),
    // Shorthands for the common single-app setup (CHAT_APP_ID, …), folded into `apps`.
    appId: z.string().optional(),
    identitySecret: secret(z.string().optional()),
    allowAnonymous: envBoolean.optional(),
    allowedOrigins: originList.optional(),
    pushWebhookUrl: z.string().optional(),
    pushSecret: secret(z.string().optional()),
    emailLinkUrl: z.string().optional(),
    sessionTtlSeconds: z.coerce.number().int().min(60).max(365 * 86400).default(30 * 86400),
    /** An agent reply still unread after this long triggers the push webhook (and email later). */
    unreadNotifyAfterSeconds: z.coerce.number().int().min(5).max(7 * 86400).default(300),
    maxMessageLength: z.coerce.number().int().min(1).max(100_000).default(10_000),
    attachmentMaxBytes: z.coerce.number().int().min(1024).max(100 * 1024 * 1024).default(10 * 1024 * 1024),
    /** Messages one session may send per minute, and requests one app may make per second. */
    sessionMessagesPerMinute: z.coerce.number().int().min(1).max(10_000).default(30),
    appRequestsPerSecond: z.coerce.number().int().min(1).max(100_000).default(200),
  })
  .transform((chat, ctx) => {
    const apps = [...chat.apps];
    if (chat.appId !== undefined) {
      const single = chatAppSchema.safeParse({
        id: chat.appId,
        identitySecret: chat.identitySecret,
        allowAnonymous: chat.allowAnonymous ?? false,
        allowedOrigins: chat.allowedOrigins ?? [],
        pushWebhookUrl: chat.pushWebhookUrl || undefined,
        pushSecret: chat.pushSecret || undefined,
        emailLinkUrl: chat.emailLinkUrl || undefined,
      });
      if (!single.success) {
        for (const issue of single.error.issues) ctx.addIssue({ ...issue, path: [shorthandKey(String(issue.path[0]))] } as never);
        return z.NEVER;
      }
      apps.push(single.data);
    } else if (chat.identitySecret !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['appId'], message: 'an identity secret is set but no chat app id (CHAT_APP_ID)' });
      return z.NEVER;
    }
    const ids = new Set<string>();
    for (const app of apps) {
      if (ids.has(app.id)) ctx.addIssue({ code: 'custom', path: ['apps'], message: `chat app id "${app.id}" is configured twice` });
      ids.add(app.id);
    }
    const { appId: _a, identitySecret: _s, allowAnonymous: _n, allowedOrigins: _o, pushWebhookUrl: _p, pushSecret: _ps, emailLinkUrl: _e, ...rest } = chat;
    return { ...rest, apps };
  });
export type ChatConfig = z.output<typeof chatSchema>;

// The single-app shorthand keys are named like the app fields they fill.
function shorthandKey(field: string): string {
  return field === 'id' ? 'appId' : field;
}
