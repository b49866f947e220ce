import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EscalationCapability, EscalationRequest } from '../../src/capabilities/escalation.js';
import type { AnyIntegration, IntegrationContext } from '../../src/capabilities/integration.js';
import type { RawRequest } from '../../src/capabilities/webhook.js';
import { isVendorError } from '../../src/vendors/error.js';

/**
 * The suite every escalation target passes against its fake (ARCHITECTURE §4): adding a target is
 * copy a folder, fill the client, pass the kit. It drives the capability directly over real HTTP:
 * - `open` creates exactly one thing at the vendor and returns its id;
 * - a retried `open` after a lost answer does not duplicate (targets whose vendor cannot promise
 *   that declare `duplicates: 'after-lost-response'` and are held to at most one extra);
 * - `update` acknowledges and resolves what `open` created;
 * - vendor failures surface as VendorError with the kind the engine acts on (5xx → unavailable,
 *   bad credentials → auth), and `checkConnection` says what is wrong without echoing a secret;
 * - targets with webhooks accept the vendor's signed deliveries and refuse altered or unsigned ones.
 */
export interface EscalationFake {
  /** The integration's config section (configSchema input) pointing at this fake. */
  config: Record<string, unknown>;
  /** Secret values in `config`; none may appear in errors or connection checks. */
  secrets: string[];
  /** How many things (issues, messages, incidents) the vendor holds for this escalation id. */
  opened(escalationId: string): number;
  /** What the vendor shows for the thing `open` created. */
  status(escalationId: string): 'open' | 'acknowledged' | 'resolved' | 'missing';
  /** The next request answers with this HTTP status. */
  failNext(status: number): void;
  /** The next request is applied by the vendor, but the connection is cut before the answer. */
  dropNextResponse(): void;
  /** The configured credentials stop working (revoked token, deleted webhook). */
  revokeCredentials(): void;
  restoreCredentials(): void;
  /** Targets with webhooks: the vendor's signed delivery reporting the thing acknowledged / resolved. */
  webhook?: {
    acknowledged(receiptExternalId: string, by: string): RawRequest;
    resolved(receiptExternalId: string, by: string): RawRequest;
  };
  close(): Promise<void>;
}

export interface EscalationContractOptions {
  integration: AnyIntegration;
  startFake(): Promise<EscalationFake>;
}

export function escalationRequest(overrides: Partial<EscalationRequest> = {}): EscalationRequest {
  return {
    escalationId: randomUUID(),
    title: 'Urgent: "our whole site is down"',
    level: 'urgent',
    category: 'outage',
    summary: 'Jane Doe <jane@customer.example> wrote: our whole site is down since 10 minutes, customers cannot log in.',
    evidence: [{ phrase: 'site is down', category: 'outage' }],
    conversations: 1,
    link: 'https://hub.example/dashboard/escalations/1',
    acknowledgeUrl: 'https://hub.example/escalations/acknowledge?token=abc',
    recipients: [{ name: 'Ravi Ops', email: 'ravi@acme.example', slack: '@ravi', pagerduty: true }],
    retry: false,
    ...overrides,
  };
}

export function describeEscalationContract(name: string, options: EscalationContractOptions): void {
  describe(`escalation contract: ${name}`, () => {
    let fake: EscalationFake;
    let target: EscalationCapability;

    beforeAll(async () => {
      fake = await options.startFake();
      const factory = options.integration.capabilities.escalation;
      if (!factory) throw new Error(`${options.integration.id} has no escalation capability`);
      const config = options.integration.configSchema.parse(fake.config);
      const context: IntegrationContext = { store: null as never, log: pino({ level: 'silent' }), publicUrl: 'https://hub.example' };
      target = factory.create(config, context);
    });
    afterAll(async () => {
      await fake?.close();
    });
    beforeEach(() => fake.restoreCredentials());

    const failure = async (promise: Promise<unknown>) => {
      const error = await promise.then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, 'the call should have failed').not.toBeNull();
      return error as Error;
    };

    it('open creates exactly one thing at the vendor and returns its id', async () => {
      const request = escalationRequest();
      const receipt = await target.open(request);
      expect(receipt.externalId).toMatch(/\S/);
      expect(fake.opened(request.escalationId)).toBe(1);
      expect(fake.status(request.escalationId)).toBe('open');
    });

    it('a retried open after a lost answer does not duplicate', async () => {
      const request = escalationRequest();
      fake.dropNextResponse();
      const error = await failure(target.open(request));
      expect(isVendorError(error) && error.kind === 'unavailable' && error.outcomeUnknown).toBe(true);
      const receipt = await target.open({ ...request, retry: true });
      expect(receipt.externalId).toMatch(/\S/);
      const limit = target.traits.duplicates === 'never' ? 1 : 2;
      expect(fake.opened(request.escalationId)).toBeLessThanOrEqual(limit);
      expect(fake.opened(request.escalationId)).toBeGreaterThanOrEqual(1);
    });

    it('update acknowledges, then resolves, what open created', async () => {
      const request = escalationRequest();
      const receipt = await target.open(request);
      await target.update(receipt, { kind: 'acknowledged', by: 'Ravi Ops' });
      expect(['acknowledged', 'open']).toContain(fake.status(request.escalationId));
      await target.update(receipt, { kind: 'resolved', by: 'Ravi Ops', text: 'Fixed: the load balancer was restarted.' });
      expect(fake.status(request.escalationId)).toBe('resolved');
    });

    it('a vendor 5xx is "unavailable" (retry later); nothing half-made is left behind', async () => {
      const request = escalationRequest();
      fake.failNext(503);
      const error = await failure(target.open(request));
      expect(isVendorError(error) && error.kind).toBe('unavailable');
      await target.open({ ...request, retry: true });
      expect(fake.opened(request.escalationId)).toBe(1);
    });

    it('revoked credentials are "auth", and checkConnection says so without the secret', async () => {
      expect((await target.checkConnection()).ok).toBe(true);
      fake.revokeCredentials();
      const error = await failure(target.open(escalationRequest()));
      expect(isVendorError(error) && error.kind).toBe('auth');
      const check = await target.checkConnection();
      expect(check.ok).toBe(false);
      for (const secret of fake.secrets) {
        expect(check.detail + (check.hint ?? '')).not.toContain(secret);
        expect(error.message).not.toContain(secret);
      }
    });

    it('webhooks: signed deliveries are accepted and parsed; altered or unsigned ones refused', async (ctx) => {
      if (!fake.webhook || !target.verifyWebhook || !target.parseWebhook) return ctx.skip();
      const request = escalationRequest();
      const receipt = await target.open(request);
      const acknowledged = fake.webhook.acknowledged(receipt.externalId, 'octocat');
      expect(target.verifyWebhook(acknowledged)).toEqual({ ok: true });
      const parsed = target.parseWebhook(acknowledged);
      expect(parsed.deliveryId).toMatch(/\S/);
      expect(parsed.events).toEqual([{ kind: 'escalation.acknowledged', externalId: receipt.externalId, by: 'octocat' }]);
      const resolved = fake.webhook.resolved(receipt.externalId, 'octocat');
      expect(target.verifyWebhook(resolved)).toEqual({ ok: true });
      expect(target.parseWebhook(resolved).events).toEqual([{ kind: 'escalation.resolved', externalId: receipt.externalId, by: 'octocat' }]);

      const altered = Buffer.from(acknowledged.rawBody);
      altered[altered.length - 2]! ^= 1;
      expect(target.verifyWebhook({ ...acknowledged, rawBody: altered }).ok).toBe(false);
      const unsigned = Object.fromEntries(Object.entries(acknowledged.headers).filter(([k]) => !/signature/i.test(k)));
      expect(target.verifyWebhook({ ...acknowledged, headers: unsigned }).ok).toBe(false);
    });
  });
}
