import { zendesk } from '../../integrations/zendesk/index.js';
import { describeHelpdeskContract } from '../contract/helpdesk.js';
import { startFakeZendesk } from '../fakes/zendesk/server.js';

describeHelpdeskContract('Zendesk', { integration: zendesk, startFake: () => startFakeZendesk() });
