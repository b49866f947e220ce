export { startFakeHelpScout, type FakeHelpScout, type FakeHelpScoutOptions, type RequestRecord } from './server.js';
export { sign as signHelpScoutWebhook } from './webhooks.js';
export { startFakeSidebarHost, phpSignedQuerySignature, HELPSCOUT_APP_ORIGIN, type FakeSidebarHost, type HostMessage, type SidebarHostConversation } from './sidebar-host.js';
