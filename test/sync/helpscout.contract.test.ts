import { helpscout } from '../../integrations/helpscout/index.js';
import { describeHelpdeskContract } from '../contract/helpdesk.js';
import { startFakeHelpScout } from '../fakes/helpscout/server.js';

describeHelpdeskContract('Help Scout', { integration: helpscout, startFake: () => startFakeHelpScout() });
