export { startFakeStripe, type FailureOptions, type FakeStripe, type FakeStripeOptions, type FakeStripeRequest } from './server.js';
export { stripeSignature, sendStripeWebhook, type WebhookSendOptions, type WebhookResponse } from './webhooks.js';
export type { RateLimitedReason } from './errors.js';
export type { FakeRateLimits } from './limits.js';
export type { CustomerSeed, PauseReason, PriceSeed, ProductSeed, SubscriptionSeed, SubscriptionStatus, StripeJson, StripeObject, Moment } from './model.js';
export type { RelatedObject, ThinEventType } from './events.js';
export type { Permission } from './routes.js';
