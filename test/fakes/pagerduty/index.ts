export { startFakePagerDuty, type FakePagerDuty, type FakePagerDutyOptions, type FakePagerDutyRequest } from './server.js';
export { startPagerDutyEscalationFake, type PagerDutyEscalationFake } from './escalation-fake.js';
export { pagerDutySignature, incidentEventBody, signedDelivery, type IncidentEventOptions, type IncidentEventType } from './webhooks.js';
export type { FakeAlert, AlertStatus, Severity } from './events.js';
