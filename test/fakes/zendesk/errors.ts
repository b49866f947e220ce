/** A Zendesk error answer: status plus the JSON body Zendesk sends for it. */
export class ZdApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${status} ${JSON.stringify(body)}`);
  }
}

export const notFound = () => new ZdApiError(404, { error: 'RecordNotFound', description: 'Not found' });

/** 422 with Zendesk's validation shape: `details` keyed by field, each a list of `{ description, error }`. */
export function recordInvalid(field: string, description: string, error = 'InvalidValue'): ZdApiError {
  return new ZdApiError(422, { error: 'RecordInvalid', description: 'Record validation errors', details: { [field]: [{ description, error }] } });
}
