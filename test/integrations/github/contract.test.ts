import { github } from '../../../integrations/github/index.js';
import { describeEscalationContract } from '../../contract/escalation.js';
import { startGitHubEscalationFake } from './support.js';

describeEscalationContract('github', { integration: github, startFake: () => startGitHubEscalationFake() });
