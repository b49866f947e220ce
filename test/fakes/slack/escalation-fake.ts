import type { EscalationFake } from '../../contract/escalation.js';
import { startFakeSlack, type FakeSlack, type FakeSlackMessage, type FakeSlackOptions } from './server.js';

/**
 * The fake Slack channel as the escalation contract kit sees it. Slack keeps only messages, so
 * "what the vendor holds" is read the way a person scanning the channel would: the context line
 * every hub message ends with (`Support Hub escalation <id> · opened|acknowledged|resolved|comment`).
 */
export interface SlackEscalationFake extends EscalationFake {
  slack: FakeSlack;
  /** The channel's messages about one escalation, oldest first. */
  messagesFor(escalationId: string): { kind: string; message: FakeSlackMessage }[];
}

export async function startSlackEscalationFake(options: FakeSlackOptions = {}): Promise<SlackEscalationFake> {
  const slack = await startFakeSlack(options);
  const messagesFor = (escalationId: string) =>
    slack.messages.flatMap((message) => {
      const marker = message.mrkdwn.map((text) => /^Support Hub escalation (\S+) · (\w+)$/.exec(text)).find((m) => m !== null);
      return marker && marker[1] === escalationId ? [{ kind: marker[2]!, message }] : [];
    });
  return {
    slack,
    messagesFor,
    config: { webhookUrl: slack.webhookUrl },
    secrets: [slack.webhookUrl, slack.token],
    opened: (escalationId) => messagesFor(escalationId).filter((m) => m.kind === 'opened').length,
    status(escalationId) {
      const kinds = messagesFor(escalationId).map((m) => m.kind);
      if (kinds.includes('resolved')) return 'resolved';
      if (kinds.includes('acknowledged')) return 'acknowledged';
      return kinds.includes('opened') ? 'open' : 'missing';
    },
    failNext: (status) => slack.failNext(status),
    dropNextResponse: () => slack.dropNextResponse(),
    revokeCredentials: () => slack.revoke(),
    restoreCredentials: () => slack.restore(),
    close: () => slack.close(),
  };
}
