export { startFakeZendesk, type FakeZendesk, type FakeZendeskOptions } from './server.js';
export { signWebhook as signZendeskWebhook } from './webhooks.js';
export type { RequestRecord as ZendeskRequestRecord } from './transport.js';
