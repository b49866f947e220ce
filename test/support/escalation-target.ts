import pino from 'pino';
import type { IntegrationContext } from '../../src/capabilities/integration.js';
import { isVendorError, type VendorError } from '../../src/vendors/error.js';

/** What a target's `create` gets outside the hub: no store (targets keep none), a silent log. */
export const targetContext: IntegrationContext = { store: null as never, log: pino({ level: 'silent' }), publicUrl: 'https://hub.example' };

/** The VendorError a target call fails with (a success or any other error fails the test). */
export async function vendorFailure(promise: Promise<unknown>): Promise<VendorError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isVendorError(error)) throw new Error(`expected a VendorError, got ${error === null ? 'success' : String(error)}`);
  return error;
}
