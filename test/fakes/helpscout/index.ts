export { startFakeHelpScout, type FakeHelpScout, type FakeHelpScoutOptions, type RequestRecord } from './server.js';
export { sign as signHelpScoutWebhook } from './webhooks.js';
