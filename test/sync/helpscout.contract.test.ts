import { helpscout } from '../../integrations/helpscout/index.js';
import { describeHelpdeskContract } from '../contract/helpdesk.js';
import { startFakeHelpScout } from '../fakes/helpscout/server.js';

// The fake's defaults are the unfriendly readings where Help Scout's material is silent (webhook
// bodies without threads, API threads without source "api", agent replies on imported
// conversations mailed); the hub's defaults must hold there.
describeHelpdeskContract('Help Scout', { integration: helpscout, startFake: () => startFakeHelpScout() });

// The friendly readings, with the hub mailing email replies itself (HELPSCOUT_EMAIL_REPLIES=hub,
// for an account where Help Scout was seen to stay silent on imported conversations).
describeHelpdeskContract('Help Scout (friendly readings, the hub mails email replies)', {
  integration: helpscout,
  startFake: () => startFakeHelpScout({ webhookThreads: 'top-level', apiThreadSource: 'api', importedSilencesAgentReplies: true }),
  env: { HELPSCOUT_EMAIL_REPLIES: 'hub' },
});
