import type { EscalationFake } from '../../contract/escalation.js';
import { startFakePagerDuty, type FakePagerDuty, type FakePagerDutyOptions } from './server.js';

/** The fake PagerDuty account as the escalation contract kit sees it: alerts by dedup key (= escalation id). */
export interface PagerDutyEscalationFake extends EscalationFake {
  pagerduty: FakePagerDuty;
}

export async function startPagerDutyEscalationFake(options: FakePagerDutyOptions = {}): Promise<PagerDutyEscalationFake> {
  const pagerduty = await startFakePagerDuty(options);
  return {
    pagerduty,
    config: { routingKey: pagerduty.routingKey, apiBase: pagerduty.url, webhookSecret: pagerduty.webhookSecret },
    secrets: [pagerduty.routingKey, pagerduty.webhookSecret],
    opened: (escalationId) => pagerduty.alertsFor(escalationId).length,
    status(escalationId) {
      const alert = pagerduty.alertsFor(escalationId).at(-1);
      if (!alert) return 'missing';
      return alert.status === 'triggered' ? 'open' : alert.status;
    },
    failNext: (status) => pagerduty.failNext(status),
    dropNextResponse: () => pagerduty.dropNextResponse(),
    revokeCredentials: () => pagerduty.revoke(),
    restoreCredentials: () => pagerduty.restore(),
    webhook: {
      acknowledged: (externalId, by) => pagerduty.respond('acknowledged', externalId, by),
      resolved: (externalId, by) => pagerduty.respond('resolved', externalId, by),
    },
    close: () => pagerduty.close(),
  };
}
