import { startHub, type Hub, type HubOptions } from '../../src/hub.js';
import type { ChannelDelivery, OutboundDelivery } from '../../src/conversations/delivery.js';
import type { ChannelKind } from '../../src/store/schema.js';
import { createTestDatabase, testConfig, type BackendName, type TestDatabase } from './backends.js';

export interface TestHub {
  hub: Hub;
  database: TestDatabase;
  stop(): Promise<void>;
}

export async function startTestHub(
  backend: BackendName,
  options: Partial<HubOptions> & { env?: Record<string, string>; database?: TestDatabase } = {},
): Promise<TestHub> {
  const database = options.database ?? (await createTestDatabase(backend));
  const hub = await startHub(testConfig(database, options.env, options.integrations ?? []), { integrations: [], ...options });
  return {
    hub,
    database,
    async stop() {
      await hub.stop();
      if (!options.database) await database.drop();
    },
  };
}

/** A channel that records what reached "the customer", keyed by message id like a real one. */
export class RecordingChannel implements ChannelDelivery {
  readonly delivered: OutboundDelivery[] = [];
  failuresLeft = 0;

  constructor(readonly channel: ChannelKind = 'chat') {}

  async deliver(delivery: OutboundDelivery): Promise<void> {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error('customer channel unavailable');
    }
    if (this.delivered.some((d) => d.message.id === delivery.message.id)) return;
    this.delivered.push(delivery);
  }
}

export async function waitFor<T>(probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
