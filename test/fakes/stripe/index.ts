export { startFakeStripe, type FakeStripe, type FakeStripeOptions, type FakeStripeRequest } from './server.js';
export { stripeSignature, sendStripeWebhook, type WebhookSendOptions, type WebhookResponse } from './webhooks.js';
export type { CustomerSeed, PriceSeed, ProductSeed, SubscriptionSeed, SubscriptionStatus, StripeJson, StripeObject, Moment } from './model.js';
export type { Permission } from './routes.js';
