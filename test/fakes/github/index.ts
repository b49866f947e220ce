export { startFakeGitHub } from './server.js';
export type { FakeGitHub, FakeGitHubOptions, FakeGitHubRequest, FakeTokenSeed } from './types.js';
export { signature, sendWebhook, type WebhookResponse } from './webhooks.js';
export type { Permission, StateReason } from './state.js';
export type { GitHubJson } from './model.js';
