export { startFakeSlack, type FakeSlack, type FakeSlackMessage, type FakeSlackOptions, type FakeSlackRequest } from './server.js';
export { startSlackEscalationFake, type SlackEscalationFake } from './escalation-fake.js';
export { mentionsIn, mrkdwnTexts, type SlackPayload } from './payload.js';
